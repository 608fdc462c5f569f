import type { SamlRequestIdsRepository } from '../../store/repositories/saml-request-ids.js';
import { SamlErrors } from './errors.js';
import type { IdpInstances } from './identity.js';
import { type IncomingRequest, redirectOctetString } from './request-message.js';
import type { ServiceProvider } from './service-provider.js';

/** The two requests an SP sends Passgate. */
export type RequestKind = 'AuthnRequest' | 'LogoutRequest';

/** What every incoming request states about itself. */
export interface RequestHeader {
  id: string;
  issueInstant: number;
  destination: string | undefined;
  /** NotOnOrAfter (epoch ms), where the request kind has one. */
  notOnOrAfter?: number | undefined;
}

/** The rules both kinds of request are held to. */
export interface RequestCheckSettings {
  /** `saml.wantAuthnRequestsSigned`: Passgate asks every SP to sign what it sends. */
  wantRequestsSigned: boolean;
  requestLifetimeSeconds: number;
  clockSkewSeconds: number;
}

/**
 * The checks AuthnRequests and LogoutRequests share, in one place: the signature (verified when
 * present; required when the SP's metadata says it signs, its file says `requireSignedRequests`,
 * or `saml.wantAuthnRequestsSigned`), samlify's schema validation, Destination, the time window,
 * and the ID not used before.
 */
export class RequestChecks {
  constructor(
    private readonly idps: IdpInstances,
    private readonly requestIds: SamlRequestIdsRepository,
    private readonly settings: RequestCheckSettings,
  ) {}

  /** Signature rules, then samlify's parse (schema, and the signature check when signed). */
  async signature(sp: ServiceProvider, incoming: IncomingRequest, signed: boolean, kind: RequestKind) {
    const required =
      this.settings.wantRequestsSigned || sp.settings.requireSignedRequests || sp.signsRequests;
    if (!signed && required)
      throw SamlErrors.SAML_SIGNATURE_REQUIRED({ detail: `${sp.name}: unsigned ${kind}` });
    if (signed && !sp.hasSigningCertificate) {
      throw SamlErrors.SAML_SIGNATURE_INVALID({
        detail: `${sp.name}: signed ${kind}, but no signing key in its metadata`,
      });
    }
    const login = kind === 'AuthnRequest';
    const idp = this.idps.get({
      issuer: 'urn:passgate:verifier',
      algorithm: 'sha256',
      encrypt: false,
      verifyRequests: login && signed,
      ...(login ? {} : { verifyLogoutRequests: signed }),
    });
    const request =
      incoming.binding === 'redirect'
        ? { query: incoming.query, octetString: redirectOctetString(incoming.rawQuery) }
        : { body: incoming.body };
    try {
      await (login
        ? idp.parseLoginRequest(sp.samlify, incoming.binding, request)
        : idp.parseLogoutRequest(sp.samlify, incoming.binding, request));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const signature = /SIGNATURE|SIG_ALG|WRAPPING/.test(message);
      const raise = signature ? SamlErrors.SAML_SIGNATURE_INVALID : SamlErrors.SAML_REQUEST_MALFORMED;
      throw raise({ detail: `${sp.name}: ${kind}: ${message}`, cause: error });
    }
  }

  /** Destination (when set) is this endpoint; IssueInstant and NotOnOrAfter allow the request now. */
  timely(header: RequestHeader, endpoint: string, now: number, kind: RequestKind): void {
    if (header.destination !== undefined && header.destination !== endpoint) {
      throw SamlErrors.SAML_DESTINATION_MISMATCH({ detail: `${kind} Destination ${header.destination}` });
    }
    const skew = this.settings.clockSkewSeconds * 1000;
    const age = now - header.issueInstant;
    const late = header.notOnOrAfter !== undefined && now >= header.notOnOrAfter + skew;
    if (late || age < -skew || age > this.settings.requestLifetimeSeconds * 1000 + skew) {
      throw SamlErrors.SAML_REQUEST_EXPIRED({
        detail: `${kind} IssueInstant ${new Date(header.issueInstant).toISOString()}`,
      });
    }
  }

  /** Claims the request's ID for as long as the request could be accepted: a replay is refused. */
  async once(sp: ServiceProvider, header: RequestHeader, now: number, kind: RequestKind): Promise<void> {
    const lifetimeMs = (this.settings.requestLifetimeSeconds + this.settings.clockSkewSeconds) * 1000;
    if (!(await this.requestIds.claim(sp.entityId, header.id, header.issueInstant + lifetimeMs, now))) {
      throw SamlErrors.SAML_REQUEST_REPLAYED({ detail: `${sp.name}: ${kind} ${header.id} was already used` });
    }
  }
}
