import type { XmlDocument, XmlElement } from 'libxml2-wasm';

/** libxml2-wasm, as the schema loaded it. */
type Libxml2 = typeof import('libxml2-wasm');

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
    libxml2: Libxml2,
    private readonly document: XmlDocument,
    private readonly validator: (document: XmlDocument) => void,
  ) {
    this.root = new LibxmlElement(libxml2, document.root);
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

/** A libxml2 element behind the {@link MessageElement} view. */
class LibxmlElement implements MessageElement {
  constructor(
    private readonly libxml2: Libxml2,
    private readonly element: XmlElement,
  ) {}

  get localName(): string {
    return this.element.name;
  }

  get namespaceURI(): string {
    return this.element.namespaceUri;
  }

  getAttribute(name: string): string | null {
    return this.element.attr(name)?.value ?? null;
  }

  get textContent(): string {
    return this.element.content;
  }

  children(name: string, namespace: string): MessageElement[] {
    const found: MessageElement[] = [];
    for (let node = this.element.firstChild; node; node = node.next) {
      if (!(node instanceof this.libxml2.XmlElement)) continue;
      if (node.name === name && node.namespaceUri === namespace)
        found.push(new LibxmlElement(this.libxml2, node));
    }
    return found;
  }

  child(name: string, namespace: string): MessageElement | undefined {
    return this.children(name, namespace)[0];
  }

  descendants(name: string, namespace: string): MessageElement[] {
    const found: MessageElement[] = [];
    const walk = (parent: XmlElement) => {
      for (let node = parent.firstChild; node; node = node.next) {
        if (!(node instanceof this.libxml2.XmlElement)) continue;
        if (node.name === name && node.namespaceUri === namespace)
          found.push(new LibxmlElement(this.libxml2, node));
        walk(node);
      }
    };
    walk(this.element);
    return found;
  }
}
