import type { XmlDocument } from 'libxml2-wasm';
import { SamlErrors } from '../errors.js';

/**
 * libxml2-wasm's accessors of libxml2's own structs (its module `lib/libxml2.mjs`, which the
 * package's node classes are built on; the version is pinned in package.json). The readers walk
 * a message through them rather than through the node classes: each XmlElement or XmlAttribute
 * those classes create per node kept V8 recompiling their constructors and getters on every
 * request (each optimisation aborted, "dependency change"), so that reading an AuthnRequest's
 * few fields cost several times its parse.
 */
export type Libxml2Structs = Pick<
  typeof import('libxml2-wasm/lib/libxml2.mjs'),
  'XmlNodeStruct' | 'XmlNsStruct' | 'xmlNodeGetContent' | 'xmlDocGetRootElement'
>;

/** libxml2's XML_ELEMENT_NODE. */
const ELEMENT_NODE = 1;

/** One element of a parsed SAML message, read-only: what the message readers need of it. */
export interface MessageElement {
  readonly localName: string;
  readonly namespaceURI: string;
  /** The attribute without a namespace of this name, or null. */
  getAttribute(name: string): string | null;
  /** The text of the element and its descendants. */
  readonly textContent: string;
  /** The element children with this local name and namespace, in document order. */
  children(name: string, namespace: string): MessageElement[];
  /** The first element child with this local name and namespace. */
  child(name: string, namespace: string): MessageElement | undefined;
  /** Every descendant element with this local name and namespace, in document order. */
  descendants(name: string, namespace: string): MessageElement[];
}

/**
 * A SAML message parsed once by libxml2, for both its reader and the schema: the readers take
 * its fields from {@link root}, the checks validate the same document (no second parse). Valid
 * until {@link dispose}, which the one who parsed it calls when the checks are over.
 */
export class MessageDocument {
  readonly root: MessageElement;

  constructor(
    structs: Libxml2Structs,
    private readonly document: XmlDocument,
    private readonly validator: (document: XmlDocument) => void,
  ) {
    const root = structs.xmlDocGetRootElement(documentPointer(document));
    if (!root) throw SamlErrors.SAML_REQUEST_MALFORMED({ detail: 'the message has no root element' });
    this.root = new LibxmlElement(structs, root);
  }

  /** Validates the document against the SAML 2.0 schema (SAML_REQUEST_MALFORMED otherwise). */
  validate(): void {
    this.validator(this.document);
  }

  /** Frees the document (WebAssembly memory); its elements are unusable after. */
  dispose(): void {
    this.document.dispose();
  }
}

/**
 * The libxml2 document (`xmlDocPtr`) behind an XmlDocument: libxml2-wasm keeps it as `_ptr`
 * (internal to the package, hence checked here; a parsed document always has one).
 */
function documentPointer(document: XmlDocument): number {
  const pointer = (document as unknown as { _ptr?: unknown })._ptr;
  if (typeof pointer !== 'number' || pointer === 0)
    throw new Error('libxml2-wasm: a parsed XmlDocument has no _ptr (did its internals change?)');
  return pointer;
}

/**
 * An element (`xmlNodePtr`) behind the {@link MessageElement} view. Every name, value and child
 * crosses from WebAssembly memory into a JavaScript string, so each is crossed once: the
 * attributes without a namespace are read together on the first `getAttribute`, the element
 * children (with their names) on the first `children` or `child`, and kept while the document lives.
 */
class LibxmlElement implements MessageElement {
  private name: string | undefined;
  private namespace: string | undefined;
  private attributes: Map<string, string> | undefined;
  private elements: LibxmlElement[] | undefined;

  constructor(
    private readonly structs: Libxml2Structs,
    private readonly pointer: number,
  ) {}

  get localName(): string {
    this.name ??= this.structs.XmlNodeStruct.name_(this.pointer);
    return this.name;
  }

  get namespaceURI(): string {
    this.namespace ??= namespaceOf(this.structs, this.pointer);
    return this.namespace;
  }

  getAttribute(name: string): string | null {
    if (!this.attributes) {
      const { XmlNodeStruct, xmlNodeGetContent } = this.structs;
      this.attributes = new Map();
      for (let attribute = XmlNodeStruct.properties(this.pointer); attribute; ) {
        if (!XmlNodeStruct.namespace(attribute))
          this.attributes.set(XmlNodeStruct.name_(attribute), xmlNodeGetContent(attribute));
        attribute = XmlNodeStruct.next(attribute);
      }
    }
    return this.attributes.get(name) ?? null;
  }

  get textContent(): string {
    return this.structs.xmlNodeGetContent(this.pointer);
  }

  children(name: string, namespace: string): MessageElement[] {
    const found: MessageElement[] = [];
    for (const child of this.elementChildren())
      if (child.localName === name && child.namespaceURI === namespace) found.push(child);
    return found;
  }

  child(name: string, namespace: string): MessageElement | undefined {
    for (const child of this.elementChildren())
      if (child.localName === name && child.namespaceURI === namespace) return child;
    return undefined;
  }

  descendants(name: string, namespace: string): MessageElement[] {
    const found: MessageElement[] = [];
    const walk = (parent: LibxmlElement) => {
      for (const child of parent.elementChildren()) {
        if (child.localName === name && child.namespaceURI === namespace) found.push(child);
        walk(child);
      }
    };
    walk(this);
    return found;
  }

  private elementChildren(): LibxmlElement[] {
    if (!this.elements) {
      const { XmlNodeStruct } = this.structs;
      this.elements = [];
      for (let node = XmlNodeStruct.children(this.pointer); node; node = XmlNodeStruct.next(node))
        if (XmlNodeStruct.type(node) === ELEMENT_NODE)
          this.elements.push(new LibxmlElement(this.structs, node));
    }
    return this.elements;
  }
}

/** The namespace URI of an element or attribute, '' when it has none. */
function namespaceOf(structs: Libxml2Structs, pointer: number): string {
  const namespace = structs.XmlNodeStruct.namespace(pointer);
  return namespace ? structs.XmlNsStruct.href(namespace) : '';
}
