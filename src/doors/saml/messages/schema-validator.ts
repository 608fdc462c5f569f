import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { XmlDocument, XsdValidator } from 'libxml2-wasm';
import { PACKAGE_ROOT } from '../../../paths.js';
import { SamlErrors } from '../errors.js';
import { type Libxml2Structs, MessageDocument } from './message-document.js';
import { SAML, SAMLP } from './message-fields.js';
import { WARM_UP_INVALID, WARM_UP_READ, WARM_UP_VALID } from './schema-warm-up.js';

/** The folder of the SAML 2.0 schemas (OASIS protocol and assertion, W3C xmldsig and xenc). */
const XSD_DIR = path.join(PACKAGE_ROOT, 'xsd');
/** The schema messages are validated against; it imports the other three. */
const ROOT_SCHEMA = 'saml-schema-protocol-2.0.xsd';
const SCHEMA_FILES = [
  ROOT_SCHEMA,
  'saml-schema-assertion-2.0.xsd',
  'xmldsig-core-schema.xsd',
  'xenc-schema.xsd',
] as const;
/** Where libxml2 finds the schemas while it compiles them (memory only; no file or network access). */
const SCHEMA_URL = 'passgate-xsd:/';
const DOCUMENT_TYPE = /<!DOCTYPE|<!ENTITY|<!ELEMENT|<!ATTLIST/i;
const DETAIL_LENGTH = 300;

/** libxml2-wasm, loaded when the first SAML door starts (not by every command that imports the door). */
type Libxml2 = typeof import('libxml2-wasm');

/** samlify's schema validator interface (`setSchemaValidator`). */
export interface SchemaValidator {
  validate(xml: string): Promise<string>;
}

/**
 * The SAML 2.0 protocol schema, compiled once by libxml2 (WebAssembly) and reused for every
 * message: parsing and validating a message takes tens of microseconds and retains nothing.
 */
export class SamlSchema implements SchemaValidator {
  private constructor(
    private readonly libxml2: Libxml2,
    private readonly structs: Libxml2Structs,
    private readonly validator: XsdValidator,
  ) {}

  /**
   * Loads libxml2, compiles the schemas of `folder` (the input provider is gone once they are),
   * and validates the warm-up messages, so that the first request is as fast as the rest.
   */
  static async compile(folder = XSD_DIR): Promise<SamlSchema> {
    const schema = await SamlSchema.load(folder);
    try {
      for (const xml of WARM_UP_VALID) schema.check(xml);
      schema.proveReader();
      if (schema.accepts(WARM_UP_INVALID)) throw new Error('the SAML schema accepted an invalid message');
    } catch (error) {
      schema.dispose();
      throw error;
    }
    return schema;
  }

  private static async load(folder: string): Promise<SamlSchema> {
    const [libxml2, structs] = await Promise.all([
      import('libxml2-wasm'),
      import('libxml2-wasm/lib/libxml2.mjs'),
    ]);
    const files = Object.fromEntries(
      SCHEMA_FILES.map((name) => [`${SCHEMA_URL}${name}`, readFileSync(path.join(folder, name))]),
    );
    libxml2.xmlRegisterInputProvider(new libxml2.XmlBufferInputProvider(files));
    try {
      const url = `${SCHEMA_URL}${ROOT_SCHEMA}`;
      const root = libxml2.XmlDocument.fromBuffer(files[url]!, { url, option: parseOptions(libxml2) });
      try {
        return new SamlSchema(libxml2, structs, libxml2.XsdValidator.fromDoc(root));
      } finally {
        root.dispose();
      }
    } finally {
      // Nothing may be loaded while messages are parsed: not even these schemas.
      libxml2.xmlCleanupInputProvider();
    }
  }

  /**
   * Parses one message for its reader and the schema: no document type declaration
   * (SAML_DTD_FORBIDDEN), well-formed without a parser warning (SAML_REQUEST_MALFORMED). The
   * caller validates it when its checks say so, and disposes of it.
   */
  parse(xml: string): MessageDocument {
    if (DOCUMENT_TYPE.test(xml)) {
      throw SamlErrors.SAML_DTD_FORBIDDEN({ detail: 'document type declaration in a SAML message' });
    }
    let document: XmlDocument;
    try {
      document = this.libxml2.XmlDocument.fromString(xml, { option: parseOptions(this.libxml2) });
    } catch (error) {
      throw malformed(`not well-formed XML: ${firstDetail(error)}`, error);
    }
    const warning = document.warnings[0];
    if (warning) {
      document.dispose();
      throw malformed(`XML parser warning: ${shorten(warning.message)}`);
    }
    try {
      return new MessageDocument(this.structs, document, this.validateDocument);
    } catch (error) {
      document.dispose();
      throw error;
    }
  }

  /**
   * Checks one message: what {@link parse} checks, then valid against the SAML 2.0 protocol
   * schema (SAML_REQUEST_MALFORMED, whose detail names the first problem).
   */
  check(xml: string): void {
    const document = this.parse(xml);
    try {
      document.validate();
    } finally {
      document.dispose();
    }
  }

  /**
   * Proves that the readers' walk over libxml2's structs (message-document.ts) finds a message's
   * names, attributes and text, so that a libxml2-wasm whose internals moved stops the start.
   */
  private proveReader(): void {
    const document = this.parse(WARM_UP_READ.xml);
    try {
      const { root } = document;
      const read =
        root.localName === WARM_UP_READ.root &&
        root.namespaceURI === SAMLP &&
        root.getAttribute('ID') === WARM_UP_READ.id &&
        root.child('Issuer', SAML)?.textContent === WARM_UP_READ.issuer;
      if (!read)
        throw new Error('libxml2-wasm: the SAML message reader does not read its warm-up message back');
    } finally {
      document.dispose();
    }
  }

  private readonly validateDocument = (document: XmlDocument): void => {
    try {
      this.validator.validate(document);
    } catch (error) {
      throw malformed(`not valid against the SAML 2.0 schema: ${firstDetail(error)}`, error);
    }
  };

  /** Whether the message passes {@link check}. */
  accepts(xml: string): boolean {
    try {
      this.check(xml);
      return true;
    } catch (error) {
      if (SamlErrors.is(error)) return false;
      throw error;
    }
  }

  /**
   * samlify's interface: resolves when the message is valid, rejects as {@link check} throws
   * otherwise (a property: samlify calls it unbound).
   */
  readonly validate = async (xml: string): Promise<string> => {
    this.check(xml);
    return 'SUCCESS_VALIDATE_XML';
  };

  /** Frees the compiled schema (tests; the server keeps it for its lifetime). */
  dispose(): void {
    this.validator.dispose();
  }
}

/**
 * No network, no external entities or DTDs, the input taken as the UTF-8 it is (a JavaScript
 * string), libxml2's default size and depth limits kept (no XML_PARSE_HUGE).
 */
function parseOptions(libxml2: Libxml2): number {
  const { ParseOption } = libxml2;
  return ParseOption.XML_PARSE_NONET | ParseOption.XML_PARSE_NO_XXE | ParseOption.XML_PARSE_IGNORE_ENC;
}

const malformed = (detail: string, cause?: unknown) => SamlErrors.SAML_REQUEST_MALFORMED({ detail, cause });

function firstDetail(error: unknown): string {
  const details = (error as { details?: Array<{ message?: string }> } | undefined)?.details;
  const message = details?.[0]?.message ?? (error instanceof Error ? error.message : String(error));
  return shorten(message);
}

const shorten = (message: string) => message.trim().replace(/\s+/g, ' ').slice(0, DETAIL_LENGTH);

let compiled: Promise<SamlSchema> | undefined;

/**
 * The process's one compiled schema: samlify's validator is process-wide, and the schemas never
 * change, so every SAML door of a process (tests build many) shares the first compilation.
 */
export function samlSchema(): Promise<SamlSchema> {
  compiled ??= SamlSchema.compile().catch((error: unknown) => {
    compiled = undefined;
    throw error;
  });
  return compiled;
}
