import { createRequire } from 'node:module';
import type { Document, Element } from '@xmldom/xmldom';
import { ImportErrors } from './errors.js';

type XmlDom = typeof import('@xmldom/xmldom');
let xmlDom: XmlDom | undefined;

/**
 * The XML parser, loaded by the first token file rather than with every command: `token import`
 * is registered in the CLI that `passgate start` runs too (its primary and each worker), and
 * xmldom freezes hundreds of objects when it loads.
 */
function parser(): XmlDom {
  xmlDom ??= createRequire(import.meta.url)('@xmldom/xmldom') as XmlDom;
  return xmlDom;
}

/**
 * Parses an XML document that came from outside. A DOCTYPE is refused before the parser sees
 * the text: PSKC never needs one, and refusing it rules out entity expansion ("billion laughs")
 * and external entities (XXE) whatever the parser would do with them. Any parser complaint,
 * even a warning, makes the document unreadable.
 */
export function parseXml(text: string): Document {
  const source = text.replace(/^\uFEFF/, '');
  if (/<!DOCTYPE/i.test(source) || /<!ENTITY/i.test(source)) {
    throw ImportErrors.IMPORT_INVALID_FILE({
      detail:
        'the file contains a DOCTYPE or ENTITY declaration; PSKC files need none, and they are refused ' +
        '(entity expansion, external entities)',
    });
  }
  try {
    return new (parser().DOMParser)({
      onError: (_level, message) => {
        throw new Error(message);
      },
    }).parseFromString(source, 'text/xml');
  } catch (error) {
    const locator = (error as { locator?: { lineNumber?: number; columnNumber?: number } }).locator;
    const at = locator?.lineNumber ? ` at line ${locator.lineNumber}, column ${locator.columnNumber}` : '';
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
    const message = cause instanceof Error ? cause.message : String(cause);
    throw ImportErrors.IMPORT_INVALID_FILE({ detail: `the file is not well-formed XML${at}: ${message}` });
  }
}

/** The element children of `parent` with this local name and namespace, in document order. */
export function children(parent: Element | undefined, name: string, namespace: string): Element[] {
  const found: Element[] = [];
  if (!parent) return found;
  for (let node = parent.firstChild; node; node = node.nextSibling) {
    if (node.nodeType === node.ELEMENT_NODE) {
      const element = node as Element;
      if (element.localName === name && element.namespaceURI === namespace) found.push(element);
    }
  }
  return found;
}

/** The first element child of `parent` with this local name and namespace. */
export function child(parent: Element | undefined, name: string, namespace: string): Element | undefined {
  return children(parent, name, namespace)[0];
}

/** The trimmed text of an element; undefined when there is no element or no text. */
export function textOf(element: Element | undefined): string | undefined {
  const text = element?.textContent?.trim();
  return text ? text : undefined;
}
