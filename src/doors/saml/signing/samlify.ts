import { createRequire } from 'node:module';

/*
 * The parts of samlify 2.13 Passgate uses, typed here. samlify's own type declarations load those
 * of its private @xmldom/xmldom 0.8, which pull in the DOM library and redeclare the module
 * '@xmldom/xmldom' for the whole program (breaking code written against xmldom 0.9); so the
 * package is loaded without them.
 */

/** An endpoint of an entity's metadata. */
export interface SamlEndpoint {
  Binding: string;
  Location: string;
  isDefault?: boolean;
}

/** What a create* call returns: the message (base64 XML, or a URL for Redirect) and its ID. */
export interface BindingContext {
  id: string;
  context: string;
  relayState?: string;
  entityEndpoint?: string;
}

/** A message samlify parsed (and verified). */
export interface FlowResult {
  samlContent: string;
  extract: Record<string, unknown>;
}

/** The HTTP request as samlify reads it. */
export interface SamlHttpRequest {
  query?: Record<string, unknown>;
  body?: Record<string, unknown>;
  octetString?: string;
}

/** Replaces a template's placeholders and names the message ID. */
export type CustomTagReplacement = (template: string) => { id: string; context: string };

/** Settings of samlify's IdentityProvider. */
export interface IdentityProviderSettings {
  metadata?: string;
  entityID?: string;
  privateKey?: string;
  signingCert?: string | string[];
  requestSignatureAlgorithm?: string;
  isAssertionEncrypted?: boolean;
  wantAuthnRequestsSigned?: boolean;
  wantLogoutRequestSigned?: boolean;
  wantLogoutResponseSigned?: boolean;
  nameIDFormat?: string[];
  singleSignOnService?: SamlEndpoint[];
  singleLogoutService?: SamlEndpoint[];
  loginResponseTemplate?: { context: string; attributes?: unknown[] };
}

/** Settings of samlify's ServiceProvider. */
export interface ServiceProviderSettings {
  metadata?: string;
  entityID?: string;
  privateKey?: string;
  signingCert?: string | string[];
  encryptCert?: string;
  encPrivateKey?: string;
  requestSignatureAlgorithm?: string;
  authnRequestsSigned?: boolean;
  wantAssertionsSigned?: boolean;
  wantMessageSigned?: boolean;
  isAssertionEncrypted?: boolean;
  assertionConsumerService?: SamlEndpoint[];
}

/** samlify's IdentityProvider. */
export interface IdentityProviderInstance {
  getMetadata(): string;
  createLoginResponse(
    sp: ServiceProviderInstance,
    requestInfo: { extract: Record<string, unknown> },
    binding: 'post',
    user: Record<string, unknown>,
    options: { relayState?: string; customTagReplacement?: CustomTagReplacement },
  ): Promise<BindingContext>;
  parseLoginRequest(
    sp: ServiceProviderInstance,
    binding: 'redirect' | 'post',
    request: SamlHttpRequest,
  ): Promise<FlowResult>;
  parseLogoutRequest(
    sp: ServiceProviderInstance,
    binding: 'redirect' | 'post',
    request: SamlHttpRequest,
  ): Promise<FlowResult>;
  parseLogoutResponse(
    sp: ServiceProviderInstance,
    binding: 'redirect' | 'post',
    request: SamlHttpRequest,
  ): Promise<FlowResult>;
}

/** samlify's ServiceProvider. */
export interface ServiceProviderInstance {
  getMetadata(): string;
  createLoginRequest(
    idp: IdentityProviderInstance,
    binding: 'redirect' | 'post',
    options?: { relayState?: string; customTagReplacement?: CustomTagReplacement },
  ): BindingContext;
  parseLoginResponse(
    idp: IdentityProviderInstance,
    binding: 'post',
    request: SamlHttpRequest,
  ): Promise<FlowResult>;
}

/** The samlify module. */
export interface Samlify {
  IdentityProvider(settings: IdentityProviderSettings): IdentityProviderInstance;
  ServiceProvider(settings: ServiceProviderSettings): ServiceProviderInstance;
  SamlLib: SamlLib;
  setSchemaValidator(validator: { validate: (xml: string) => Promise<unknown> }): void;
}

/** samlify's XML helpers. */
export interface SamlLib {
  /** Fills `{Tag}` placeholders, XML-escaping every value; undefined drops the attribute. */
  replaceTagsByValue(template: string, values: Record<string, string | number | boolean | undefined>): string;
  /** Signs a message (enveloped, exclusive c14n); the certificate is the base64 DER. */
  constructSAMLSignature(options: {
    rawSamlMessage: string;
    /** XPath of the element to sign, besides the whole message when `isMessageSigned`. */
    referenceTagXPath?: string;
    privateKey: string;
    signingCert: string;
    signatureAlgorithm: string;
    isMessageSigned: boolean;
    isBase64Output: boolean;
    signatureConfig: {
      prefix: string;
      location: { reference: string; action: 'append' | 'prepend' | 'before' | 'after' };
    };
  }): string;
  /**
   * The KeyInfo content and the public key (PEM) of a base64 DER certificate, as
   * constructSAMLSignature asks `this` for them on every signature.
   */
  getKeyInfo(
    certificate: string,
    signatureConfig?: { prefix?: string },
  ): { getKeyInfo: () => string; getKey: () => string };
}

/** samlify, loaded as the CommonJS package it is. */
export const samlify = createRequire(import.meta.url)('samlify') as Samlify;
