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

/**
 * A libxml2 element behind the {@link MessageElement} view. Every name, value and child crosses
 * from WebAssembly memory into a JavaScript string or object, so each is crossed once: the
 * attributes without a namespace are read together on the first `getAttribute`, the element
 * children (with their names) on the first `children` or `child`, and kept while the document lives.
 */
class LibxmlElement implements MessageElement {
  private attributes: Map<string, string> | undefined;
  private elements: Array<{ name: string; namespace: string; element: LibxmlElement }> | undefined;

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
    if (!this.attributes) {
      this.attributes = new Map();
      for (const attribute of this.element.attrs)
        if (attribute.namespaceUri === '') this.attributes.set(attribute.name, attribute.value);
    }
    return this.attributes.get(name) ?? null;
  }

  get textContent(): string {
    return this.element.content;
  }

  children(name: string, namespace: string): MessageElement[] {
    this.elements ??= this.elementChildren();
    const found: MessageElement[] = [];
    for (const child of this.elements)
      if (child.name === name && child.namespace === namespace) found.push(child.element);
    return found;
  }

  child(name: string, namespace: string): MessageElement | undefined {
    return this.children(name, namespace)[0];
  }

  descendants(name: string, namespace: string): MessageElement[] {
    const found: MessageElement[] = [];
    const walk = (parent: LibxmlElement) => {
      parent.elements ??= parent.elementChildren();
      for (const child of parent.elements) {
        if (child.name === name && child.namespace === namespace) found.push(child.element);
        walk(child.element);
      }
    };
    walk(this);
    return found;
  }

  private elementChildren(): Array<{ name: string; namespace: string; element: LibxmlElement }> {
    const elements = [];
    for (let node = this.element.firstChild; node; node = node.next) {
      if (!(node instanceof this.libxml2.XmlElement)) continue;
      elements.push({
        name: node.name,
        namespace: node.namespaceUri,
        element: new LibxmlElement(this.libxml2, node),
      });
    }
    return elements;
  }
}
