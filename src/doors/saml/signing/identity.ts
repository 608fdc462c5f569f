import { NAME_ID_FORMATS } from '../response/name-id-formats.js';
import { LOGIN_RESPONSE_TEMPLATE } from '../response/response-template.js';
import { BINDINGS } from '../service-providers/sp-metadata.js';
import type { IdentityProviderInstance } from './samlify.js';
import { samlify } from './samlify.js';
import type { SamlKeys, SamlSigningKey } from './signing-key.js';
import { SIGNATURE_ALGORITHMS, XmlSigner } from './xml-signer.js';

/** Where Passgate's SAML endpoints are, and what its metadata promises. */
export interface IdpEndpoints {
  entityId: string;
  ssoUrl: string;
  sloUrl: string;
  wantAuthnRequestsSigned: boolean;
}

/** How one IdP instance signs: per SP, the issuer, algorithm and encryption may differ. */
export interface IdpVariant {
  issuer: string;
  algorithm: keyof typeof SIGNATURE_ALGORITHMS;
  encrypt: boolean;
  /** Whether parseLoginRequest checks the request's signature. */
  verifyRequests: boolean;
  /** Whether parseLogoutRequest checks the request's signature. */
  verifyLogoutRequests?: boolean;
  /** Whether parseLogoutResponse checks the response's signature (single logout chains). */
  verifyLogoutResponses?: boolean;
}

/**
 * samlify IdentityProvider instances over the current signing key, built once per variant and
 * dropped when the key changes.
 */
export class IdpInstances {
  private cache = new Map<string, IdentityProviderInstance>();
  private xmlSigner: XmlSigner;
  private key: SamlSigningKey;
  /** Every certificate the metadata lists: current, next, retired (key rollover). */
  private certificates: string[];
  private publishedIdp: IdentityProviderInstance | undefined;

  constructor(
    private readonly endpoints: IdpEndpoints,
    keys: SamlKeys,
  ) {
    this.key = keys.signing;
    this.certificates = keys.published;
    this.xmlSigner = new XmlSigner(keys.signing);
  }

  /** The signer over the current key, its private key parsed once. */
  get signer(): XmlSigner {
    return this.xmlSigner;
  }

  /** The signing key in use. */
  get signingKey(): SamlSigningKey {
    return this.key;
  }

  /** Takes the stored keys again (after `passgate keys rotate|activate --purpose saml`, or a prune). */
  useKeys(keys: SamlKeys): void {
    if (keys.signing.kid !== this.key.kid) {
      this.key = keys.signing;
      this.xmlSigner = new XmlSigner(keys.signing);
      this.cache.clear();
    }
    this.certificates = keys.published;
    this.publishedIdp = undefined;
  }

  /**
   * The IdP as published: default issuer, SHA-256, verifying requests when the config says so,
   * and one signing KeyDescriptor per published certificate (the next one too, so that SPs trust
   * it before it signs). Only its metadata is used: signing goes through the single-key instances.
   */
  published(): IdentityProviderInstance {
    this.publishedIdp ??= this.build(
      {
        issuer: this.endpoints.entityId,
        algorithm: 'sha256',
        encrypt: false,
        verifyRequests: this.endpoints.wantAuthnRequestsSigned,
      },
      this.certificates,
    );
    return this.publishedIdp;
  }

  /** The IdP instance of a variant. */
  get(variant: IdpVariant): IdentityProviderInstance {
    const id = JSON.stringify(variant);
    let idp = this.cache.get(id);
    if (!idp) {
      idp = this.build(variant);
      this.cache.set(id, idp);
    }
    return idp;
  }

  private build(variant: IdpVariant, certificates = [this.key.certificatePem]): IdentityProviderInstance {
    const { ssoUrl, sloUrl } = this.endpoints;
    return samlify.IdentityProvider({
      entityID: variant.issuer,
      privateKey: this.key.privateKeyPem,
      signingCert: certificates.length === 1 ? certificates[0] : certificates,
      requestSignatureAlgorithm: SIGNATURE_ALGORITHMS[variant.algorithm],
      isAssertionEncrypted: variant.encrypt,
      wantAuthnRequestsSigned: variant.verifyRequests,
      wantLogoutRequestSigned: variant.verifyLogoutRequests ?? false,
      wantLogoutResponseSigned: variant.verifyLogoutResponses ?? false,
      nameIDFormat: Object.values(NAME_ID_FORMATS),
      singleSignOnService: [
        { Binding: BINDINGS.redirect, Location: ssoUrl },
        { Binding: BINDINGS.post, Location: ssoUrl },
      ],
      singleLogoutService: [
        { Binding: BINDINGS.redirect, Location: sloUrl },
        { Binding: BINDINGS.post, Location: sloUrl },
      ],
      // No samlify attributes: ours have per-response placeholders (response-template.ts).
      loginResponseTemplate: { context: LOGIN_RESPONSE_TEMPLATE, attributes: [] },
    });
  }
}
