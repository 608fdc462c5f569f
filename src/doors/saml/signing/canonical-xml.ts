/**
 * Writing XML directly in its exclusive canonical form (xml-exc-c14n, without comments), so that
 * a signature's digest is taken over the text as written, with no parser and no canonicalizer:
 * each element declares the namespace of its own prefix unless an ancestor already did, its
 * attributes come sorted (all unqualified here), empty elements are written as a start and an
 * end tag, and text and attribute values are escaped as c14n escapes them. A parser reads the
 * same values back as it would from the usual escaping (line ends and, in attributes, white
 * space normalised as a parser would do it).
 */

/** A namespace declaration an element writes: its prefix and URI. */
export interface Namespace {
  prefix: string;
  uri: string;
}

/** An unqualified attribute; an undefined value leaves the attribute out. */
export type Attribute = readonly [name: string, value: string | undefined];

const TEXT_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };
const ATTRIBUTE_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '"': '&quot;' };

/** Text content as c14n writes it; line ends become `\n`, as any parser would read them. */
export function canonicalText(value: string): string {
  return value.replace(/\r\n?/g, '\n').replace(/[&<>]/g, (c) => TEXT_ESCAPES[c]!);
}

/** An attribute value as c14n writes it, white space normalised as a parser would read it. */
export function canonicalAttributeValue(value: string): string {
  return value.replace(/\r\n|[\t\n\r]/g, ' ').replace(/[&<"]/g, (c) => ATTRIBUTE_ESCAPES[c]!);
}

/** The start tag of `prefix:name`, declaring `namespace` when given; attributes sorted by name. */
export function startTag(
  qualifiedName: string,
  attributes: readonly Attribute[],
  namespace?: Namespace,
): string {
  const declaration = namespace ? ` xmlns:${namespace.prefix}="${namespace.uri}"` : '';
  const written = attributes
    .filter((attribute): attribute is readonly [string, string] => attribute[1] !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => ` ${name}="${canonicalAttributeValue(value)}"`)
    .join('');
  return `<${qualifiedName}${declaration}${written}>`;
}

/** A whole element: its start tag, `content` (already canonical XML), its end tag. */
export function element(
  qualifiedName: string,
  attributes: readonly Attribute[],
  content: string,
  namespace?: Namespace,
): string {
  return `${startTag(qualifiedName, attributes, namespace)}${content}</${qualifiedName}>`;
}

/** An element holding only text. */
export function textElement(
  qualifiedName: string,
  attributes: readonly Attribute[],
  text: string,
  namespace?: Namespace,
): string {
  return element(qualifiedName, attributes, canonicalText(text), namespace);
}
