import type { SamlRequestIdsRepository } from '../../store/repositories/saml-request-ids.js';
import { SamlErrors } from './errors.js';
import type { IdpInstances } from './identity.js';
import { type LogoutRequestFields, readLogoutRequest } from './logout-fields.js';
import { type IncomingRequest, redirectOctetString, requestXml } from './request-message.js';
import type { ServiceProvider } from './service-provider.js';
import type { SpRegistry } from './sp-registry.js';

/** A validated LogoutRequest: the SP that sent it, what it says, and the RelayState to keep. */
export interface ValidatedLogoutRequest {
  sp: ServiceProvider;
  fields: LogoutRequestFields;
  binding: IncomingRequest['binding'];
  relayState: string | undefined;
}

/** What the validator needs besides the request. */
export interface LogoutRequestSettings {
  sloUrl: string;
  /** `saml.wantAuthnRequestsSigned`: Passgate asks every SP to sign what it sends. */
  wantRequestsSigned: boolean;
  requestLifetimeSeconds: number;
  clockSkewSeconds: number;
}

/**
 * Validates incoming LogoutRequests (both bindings) for `/saml/slo`, with the same rules as
 * AuthnRequests: DOCTYPE refused, known issuer, signature verified when present and required
 * when the SP signs its requests (metadata), its file says `requireSignedRequests`, or
 * `saml.wantAuthnRequestsSigned`; schema, Destination, IssueInstant and NotOnOrAfter, and the
 * ID not used before.
 */
export class LogoutRequestValidator {
  constructor(
    private readonly registry: SpRegistry,
    private readonly idps: IdpInstances,
    private readonly requestIds: SamlRequestIdsRepository,
    private readonly settings: LogoutRequestSettings,
  ) {}

  /** The request, checked; a SamlErrors error otherwise. */
  async validate(incoming: IncomingRequest, now: number): Promise<ValidatedLogoutRequest> {
    const fields = readLogoutRequest(requestXml(incoming));
    const sp = this.registry.byEntityId(fields.issuer);
    if (!sp)
      throw SamlErrors.SAML_UNKNOWN_SP({ detail: `logout: unknown issuer ${JSON.stringify(fields.issuer)}` });
    const signed =
      incoming.binding === 'redirect' ? typeof incoming.query.Signature === 'string' : fields.signed;
    const required =
      this.settings.wantRequestsSigned || sp.settings.requireSignedRequests || sp.signsRequests;
    if (!signed && required)
      throw SamlErrors.SAML_SIGNATURE_REQUIRED({ detail: `${sp.name}: unsigned LogoutRequest` });
    if (signed && !sp.hasSigningCertificate) {
      throw SamlErrors.SAML_SIGNATURE_INVALID({
        detail: `${sp.name}: signed LogoutRequest, but no signing key in its metadata`,
      });
    }
    await this.verify(sp, incoming, signed);
    this.checkDestinationAndTime(fields, now);
    const lifetimeMs = (this.settings.requestLifetimeSeconds + this.settings.clockSkewSeconds) * 1000;
    if (!(await this.requestIds.claim(sp.entityId, fields.id, fields.issueInstant + lifetimeMs, now))) {
      throw SamlErrors.SAML_REQUEST_REPLAYED({
        detail: `${sp.name}: LogoutRequest ${fields.id} was already used`,
      });
    }
    const relayState = incoming.binding === 'redirect' ? incoming.query.RelayState : incoming.body.RelayState;
    return {
      sp,
      fields,
      binding: incoming.binding,
      relayState: typeof relayState === 'string' ? relayState : undefined,
    };
  }

  /** samlify's parse: schema validation, and the signature check when the request is signed. */
  private async verify(sp: ServiceProvider, incoming: IncomingRequest, signed: boolean): Promise<void> {
    const idp = this.idps.get({
      issuer: 'urn:passgate:verifier',
      algorithm: 'sha256',
      encrypt: false,
      verifyRequests: false,
      verifyLogoutRequests: signed,
    });
    const request =
      incoming.binding === 'redirect'
        ? { query: incoming.query, octetString: redirectOctetString(incoming.rawQuery) }
        : { body: incoming.body };
    try {
      await idp.parseLogoutRequest(sp.samlify, incoming.binding, request);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const signature = /SIGNATURE|SIG_ALG|WRAPPING/.test(message);
      const raise = signature ? SamlErrors.SAML_SIGNATURE_INVALID : SamlErrors.SAML_REQUEST_MALFORMED;
      throw raise({ detail: `${sp.name}: LogoutRequest: ${message}`, cause: error });
    }
  }

  private checkDestinationAndTime(fields: LogoutRequestFields, now: number): void {
    if (fields.destination !== undefined && fields.destination !== this.settings.sloUrl) {
      throw SamlErrors.SAML_DESTINATION_MISMATCH({
        detail: `LogoutRequest Destination ${fields.destination}`,
      });
    }
    const skew = this.settings.clockSkewSeconds * 1000;
    const age = now - fields.issueInstant;
    const late = fields.notOnOrAfter !== undefined && now >= fields.notOnOrAfter + skew;
    if (late || age < -skew || age > this.settings.requestLifetimeSeconds * 1000 + skew) {
      throw SamlErrors.SAML_REQUEST_EXPIRED({
        detail: `LogoutRequest IssueInstant ${new Date(fields.issueInstant).toISOString()}`,
      });
    }
  }
}
