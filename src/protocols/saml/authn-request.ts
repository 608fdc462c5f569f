import type { SamlRequestIdsRepository } from '../../store/repositories/saml-request-ids.js';
import { pickAcs } from './acs.js';
import { SamlErrors } from './errors.js';
import type { IdpInstances } from './identity.js';
import { type AuthnRequestFields, readAuthnRequest } from './request-fields.js';
import { type IncomingRequest, redirectOctetString, requestXml } from './request-message.js';
import type { ResponseRequestInfo } from './response.js';
import type { ServiceProvider } from './service-provider.js';
import type { SpRegistry } from './sp-registry.js';
import { requestedStepUp } from './step-up.js';

/** A validated AuthnRequest: who asked, where the answer goes, and what the login must do. */
export interface ValidatedAuthnRequest {
  sp: ServiceProvider;
  request: ResponseRequestInfo & { id: string };
  /** The user must authenticate again, whatever their session (ForceAuthn). */
  forceAuthn: boolean;
  /** The SP forbids any interaction (IsPassive). */
  isPassive: boolean;
  /** Why the policy engine must ask for a second factor anyway (RequestedAuthnContext); see step-up.ts. */
  stepUp: string | undefined;
  fields: AuthnRequestFields;
}

/** What the validator needs besides the request. */
export interface AuthnRequestSettings {
  ssoUrl: string;
  wantAuthnRequestsSigned: boolean;
  requestLifetimeSeconds: number;
  clockSkewSeconds: number;
}

/** Validates incoming AuthnRequests (both bindings) for the SSO endpoint. */
export class AuthnRequestValidator {
  constructor(
    private readonly registry: SpRegistry,
    private readonly idps: IdpInstances,
    private readonly requestIds: SamlRequestIdsRepository,
    private readonly settings: AuthnRequestSettings,
  ) {}

  /**
   * Checks, in order: DOCTYPE refused, well-formed AuthnRequest, known issuer, signature (verified
   * when present; required when the SP's metadata says it signs, its file says
   * `requireSignedRequests`, or `saml.wantAuthnRequestsSigned`), schema, Destination,
   * IssueInstant within its lifetime, ACS listed in the metadata, and the ID not used before.
   */
  async validate(incoming: IncomingRequest, now: number): Promise<ValidatedAuthnRequest> {
    const xml = requestXml(incoming);
    const fields = readAuthnRequest(xml);
    const sp = this.registry.byEntityId(fields.issuer);
    if (!sp) throw SamlErrors.SAML_UNKNOWN_SP({ detail: `unknown issuer ${JSON.stringify(fields.issuer)}` });
    const signed =
      incoming.binding === 'redirect' ? typeof incoming.query.Signature === 'string' : fields.signed;
    const required =
      this.settings.wantAuthnRequestsSigned || sp.settings.requireSignedRequests || sp.signsRequests;
    if (!signed && required)
      throw SamlErrors.SAML_SIGNATURE_REQUIRED({ detail: `${sp.name}: unsigned AuthnRequest` });
    if (signed && !sp.hasSigningCertificate) {
      throw SamlErrors.SAML_SIGNATURE_INVALID({
        detail: `${sp.name}: signed request, but no signing key in its metadata`,
      });
    }
    await this.verifyWithSamlify(sp, incoming, signed);
    this.checkDestinationAndTime(fields, now);
    const acs = pickAcs(sp, { url: fields.acsUrl, index: fields.acsIndex });
    const lifetimeMs = (this.settings.requestLifetimeSeconds + this.settings.clockSkewSeconds) * 1000;
    if (!(await this.requestIds.claim(sp.entityId, fields.id, fields.issueInstant + lifetimeMs, now))) {
      throw SamlErrors.SAML_REQUEST_REPLAYED({ detail: `${sp.name}: request ${fields.id} was already used` });
    }
    const relayState = incoming.binding === 'redirect' ? incoming.query.RelayState : incoming.body.RelayState;
    return {
      sp,
      request: {
        id: fields.id,
        acsUrl: acs.url,
        relayState: typeof relayState === 'string' ? relayState : undefined,
      },
      forceAuthn: fields.forceAuthn,
      isPassive: fields.isPassive,
      stepUp: requestedStepUp(fields.requestedAuthnContext),
      fields,
    };
  }

  /** samlify's parse: schema validation, and the signature check when the request is signed. */
  private async verifyWithSamlify(
    sp: ServiceProvider,
    incoming: IncomingRequest,
    signed: boolean,
  ): Promise<void> {
    const idp = this.idps.get({
      issuer: 'urn:passgate:verifier',
      algorithm: 'sha256',
      encrypt: false,
      verifyRequests: signed,
    });
    const request =
      incoming.binding === 'redirect'
        ? { query: incoming.query, octetString: redirectOctetString(incoming.rawQuery) }
        : { body: incoming.body };
    try {
      await idp.parseLoginRequest(sp.samlify, incoming.binding, request);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const signature = /SIGNATURE|SIG_ALG|WRAPPING/.test(message);
      const raise = signature ? SamlErrors.SAML_SIGNATURE_INVALID : SamlErrors.SAML_REQUEST_MALFORMED;
      throw raise({ detail: `${sp.name}: ${message}`, cause: error });
    }
  }

  private checkDestinationAndTime(fields: AuthnRequestFields, now: number): void {
    if (fields.destination !== undefined && fields.destination !== this.settings.ssoUrl) {
      throw SamlErrors.SAML_DESTINATION_MISMATCH({ detail: `Destination ${fields.destination}` });
    }
    const skew = this.settings.clockSkewSeconds * 1000;
    const age = now - fields.issueInstant;
    if (age < -skew || age > this.settings.requestLifetimeSeconds * 1000 + skew) {
      throw SamlErrors.SAML_REQUEST_EXPIRED({
        detail: `IssueInstant ${new Date(fields.issueInstant).toISOString()}`,
      });
    }
  }
}
