import type { SamlRequestIdsRepository } from '../../../store/repositories/saml-request-ids.js';
import type { WriteBatch } from '../../../store/write-batch.js';
import { SamlErrors } from '../errors.js';
import type { ServiceProvider } from '../service-providers/service-provider.js';
import type { SpRegistry } from '../service-providers/sp-registry.js';
import type { IdpInstances } from '../signing/identity.js';
import type { MessageDocument, MessageElement } from './message-document.js';
import type { RequestFields } from './message-fields.js';
import {
  type IncomingRequest,
  type RequestMessage,
  readRequestMessage,
  redirectOctetString,
} from './request-message.js';
import type { SamlSchema } from './schema-validator.js';

/** The two requests an SP sends Passgate. */
export type RequestKind = 'AuthnRequest' | 'LogoutRequest';

/** The rules both kinds of request are held to. */
export interface RequestCheckSettings {
  /** `saml.wantAuthnRequestsSigned`: Passgate asks every SP to sign what it sends. */
  wantRequestsSigned: boolean;
  requestLifetimeSeconds: number;
  clockSkewSeconds: number;
}

/** A request on its way through the checks: what it says, who sent it, and where it arrived. */
export interface RequestUnderCheck<F extends RequestFields> {
  kind: RequestKind;
  incoming: IncomingRequest;
  message: RequestMessage;
  /** The message parsed once; only while the checks run (disposed after). */
  document: MessageDocument;
  fields: F;
  sp: ServiceProvider;
  /** Signed by the binding's means (query Signature for Redirect, enveloped signature for POST). */
  signed: boolean;
  /** The URL of the endpoint that received it (what Destination must be). */
  endpoint: string;
  now: number;
}

/** One named check a request must pass: it throws a SamlErrors error when the request fails it. */
export type RequestCheck<F extends RequestFields> = (request: RequestUnderCheck<F>) => void | Promise<void>;

/** What a message reader hands the validator: how to read its kind, and the checks it must pass in order. */
export interface RequestRules<F extends RequestFields> {
  kind: RequestKind;
  endpoint: string;
  read: (root: MessageElement) => F;
  checks: readonly RequestCheck<F>[];
}

/** The known issuer: the SP whose entity ID the request names, SAML_UNKNOWN_SP otherwise. */
export function knownIssuer(registry: SpRegistry, issuer: string, kind: RequestKind): ServiceProvider {
  const sp = registry.byEntityId(issuer);
  if (!sp) throw SamlErrors.SAML_UNKNOWN_SP({ detail: `${kind}: unknown issuer ${JSON.stringify(issuer)}` });
  return sp;
}

/**
 * The signature rule: required when the SP's metadata says it signs, its file says
 * `requireSignedRequests`, or `saml.wantAuthnRequestsSigned`; a signed request needs a key to check it.
 */
export function signatureRule(settings: RequestCheckSettings): RequestCheck<RequestFields> {
  return ({ sp, signed, kind }) => {
    const required = settings.wantRequestsSigned || sp.settings.requireSignedRequests || sp.signsRequests;
    if (!signed && required)
      throw SamlErrors.SAML_SIGNATURE_REQUIRED({ detail: `${sp.name}: unsigned ${kind}` });
    if (signed && !sp.hasSigningCertificate) {
      throw SamlErrors.SAML_SIGNATURE_INVALID({
        detail: `${sp.name}: signed ${kind}, but no signing key in its metadata`,
      });
    }
  };
}

/**
 * The signature and the schema. A signed request goes through samlify's parse, which checks its
 * signature and validates it against the schema; an unsigned one has the document its fields were
 * read from validated against the schema, which is all samlify's parse would check of it (it
 * would parse the XML twice more to extract fields Passgate read already).
 */
export function signature(idps: IdpInstances): RequestCheck<RequestFields> {
  return async ({ sp, incoming, document, signed, kind }) => {
    const login = kind === 'AuthnRequest';
    try {
      if (!signed) {
        document.validate();
        return;
      }
      const idp = idps.get({
        issuer: 'urn:passgate:verifier',
        algorithm: 'sha256',
        encrypt: false,
        verifyRequests: login,
        ...(login ? {} : { verifyLogoutRequests: true }),
      });
      const request =
        incoming.binding === 'redirect'
          ? { query: incoming.query, octetString: redirectOctetString(incoming.rawQuery) }
          : { body: incoming.body };
      await (login
        ? idp.parseLoginRequest(sp.samlify, incoming.binding, request)
        : idp.parseLogoutRequest(sp.samlify, incoming.binding, request));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const invalid = /SIGNATURE|SIG_ALG|WRAPPING/.test(message);
      const raise = invalid ? SamlErrors.SAML_SIGNATURE_INVALID : SamlErrors.SAML_REQUEST_MALFORMED;
      throw raise({ detail: `${sp.name}: ${kind}: ${message}`, cause: error });
    }
  };
}

/** The destination: when the request names one, it is the endpoint that received it. */
export const destination: RequestCheck<RequestFields> = ({ fields, endpoint, kind }) => {
  if (fields.destination !== undefined && fields.destination !== endpoint) {
    throw SamlErrors.SAML_DESTINATION_MISMATCH({ detail: `${kind} Destination ${fields.destination}` });
  }
};

/** The time window: IssueInstant within the request lifetime, and NotOnOrAfter (if any) not passed. */
export function timeWindow(settings: RequestCheckSettings): RequestCheck<RequestFields> {
  return ({ fields, now, kind }) => {
    const skew = settings.clockSkewSeconds * 1000;
    const age = now - fields.issueInstant;
    const late = fields.notOnOrAfter !== undefined && now >= fields.notOnOrAfter + skew;
    if (late || age < -skew || age > settings.requestLifetimeSeconds * 1000 + skew) {
      throw SamlErrors.SAML_REQUEST_EXPIRED({
        detail: `${kind} IssueInstant ${new Date(fields.issueInstant).toISOString()}`,
      });
    }
  };
}

/** Not replayed: claims the request's ID for as long as the request could be accepted. */
export function notReplayed(
  requestIds: SamlRequestIdsRepository,
  settings: RequestCheckSettings,
): RequestCheck<RequestFields> {
  const claimOf = requestClaims(requestIds, settings);
  return (request) => claimOf(request).now();
}

/**
 * A checked request's ID, to claim once before the request is answered (a request whose ID was
 * claimed already is SAML_REQUEST_REPLAYED): at once, or in the transaction of the answer's
 * writes. Claimed once: a second call answers as the first did.
 */
export interface RequestClaim {
  /** Claims the ID now. */
  now(): Promise<void>;
  /**
   * Claims the ID in the transaction that stores `batch` (one commit for both); the batch is
   * stored only when the claim wins.
   */
  with(batch: WriteBatch): Promise<void>;
}

/** The claims of requests' IDs, each held for as long as its request could be accepted. */
export function requestClaims(
  requestIds: Pick<SamlRequestIdsRepository, 'claim' | 'claimWith'>,
  settings: RequestCheckSettings,
): (request: Pick<RequestUnderCheck<RequestFields>, 'sp' | 'fields' | 'now' | 'kind'>) => RequestClaim {
  const lifetimeMs = (settings.requestLifetimeSeconds + settings.clockSkewSeconds) * 1000;
  return ({ sp, fields, now, kind }) => {
    const expiresAt = fields.issueInstant + lifetimeMs;
    let claimed: Promise<void> | undefined;
    const once = (claim: () => Promise<boolean>) => {
      claimed ??= claim().then((won) => {
        if (!won)
          throw SamlErrors.SAML_REQUEST_REPLAYED({
            detail: `${sp.name}: ${kind} ${fields.id} was already used`,
          });
      });
      return claimed;
    };
    return {
      now: () => once(() => requestIds.claim(sp.entityId, fields.id, expiresAt, now)),
      with: (batch) => once(() => requestIds.claimWith(batch, sp.entityId, fields.id, expiresAt, now)),
    };
  };
}

/** The checks every request passes, built once from the settings, for the readers to list. */
export interface SharedChecks {
  signatureRule: RequestCheck<RequestFields>;
  signature: RequestCheck<RequestFields>;
  destination: RequestCheck<RequestFields>;
  timeWindow: RequestCheck<RequestFields>;
  notReplayed: RequestCheck<RequestFields>;
  /** The claim of a checked request's ID, for a reader that claims it when it answers instead of {@link notReplayed}. */
  claimOf: ReturnType<typeof requestClaims>;
}

/**
 * The one validator of incoming requests, so that AuthnRequests and LogoutRequests are held to the
 * same rules: it reads the message off its binding (each parameter once, DOCTYPE refused), parses
 * it once for the reader and the schema, finds the known issuer, then runs the reader's list of
 * named checks in order.
 */
export class RequestValidator {
  /** The shared checks, for the message readers' lists. */
  readonly checks: SharedChecks;

  constructor(
    private readonly registry: SpRegistry,
    idps: IdpInstances,
    requestIds: SamlRequestIdsRepository,
    settings: RequestCheckSettings,
    private readonly schema: Pick<SamlSchema, 'parse'>,
  ) {
    this.checks = {
      signatureRule: signatureRule(settings),
      signature: signature(idps),
      destination,
      timeWindow: timeWindow(settings),
      notReplayed: notReplayed(requestIds, settings),
      claimOf: requestClaims(requestIds, settings),
    };
  }

  /** The request, read and through every check of its rules; a SamlErrors error otherwise. */
  async validate<F extends RequestFields>(
    incoming: IncomingRequest,
    now: number,
    rules: RequestRules<F>,
  ): Promise<Omit<RequestUnderCheck<F>, 'document'>> {
    const message = readRequestMessage(incoming);
    const document = this.schema.parse(message.xml);
    try {
      const fields = rules.read(document.root);
      const sp = knownIssuer(this.registry, fields.issuer, rules.kind);
      const signed = incoming.binding === 'redirect' ? message.querySigned : fields.signed;
      const request = {
        kind: rules.kind,
        incoming,
        message,
        document,
        fields,
        sp,
        signed,
        endpoint: rules.endpoint,
        now,
      };
      for (const check of rules.checks) await check(request);
      const { document: _parsed, ...checked } = request;
      return checked;
    } finally {
      document.dispose();
    }
  }
}
