import { DOMParser, type Document, type Element } from '@xmldom/xmldom';
import { SamlErrors } from '../errors.js';

/**
 * Refuses document type declarations before any parser sees the text: SAML never needs one, and
 * a DTD is how XXE and entity-expansion ("billion laughs") attacks start. samlify's own parser
 * set-up only fails on some of them (undefined entities); this guard does not depend on it.
 */
export function refuseDoctype(xml: string): void {
  if (/<!DOCTYPE|<!ENTITY|<!ELEMENT|<!ATTLIST/i.test(xml)) {
    throw SamlErrors.SAML_DTD_FORBIDDEN({ detail: 'document type declaration in a SAML message' });
  }
}

/** Parses XML after {@link refuseDoctype}; any parser complaint, even a warning, is fatal. */
export function parseXml(xml: string): Document {
  refuseDoctype(xml);
  try {
    return new DOMParser({
      onError: (_level, message) => {
        throw new Error(message);
      },
    }).parseFromString(xml, 'text/xml');
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
    throw SamlErrors.SAML_REQUEST_MALFORMED({
      detail: `not well-formed XML: ${cause instanceof Error ? cause.message : String(cause)}`,
    });
  }
}

/** The element children of `parent` with this local name and namespace, in document order. */
export function children(parent: Element | undefined, name: string, namespace: string): Element[] {
  const found: Element[] = [];
  for (let node = parent?.firstChild; node; node = node.nextSibling) {
    if (node.nodeType !== node.ELEMENT_NODE) continue;
    const element = node as Element;
    if (element.localName === name && element.namespaceURI === namespace) found.push(element);
  }
  return found;
}

/** The first element child of `parent` with this local name and namespace. */
export function child(parent: Element | undefined, name: string, namespace: string): Element | undefined {
  return children(parent, name, namespace)[0];
}
