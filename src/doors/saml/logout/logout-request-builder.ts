import { randomBytes } from 'node:crypto';
import type { ServiceProvider } from '../service-providers/service-provider.js';
import type { SloEndpoint } from '../service-providers/sp-metadata.js';
import type { IdpInstances } from '../signing/identity.js';
import { samlify } from '../signing/samlify.js';
import { type OutgoingMessage, signOutgoing } from './outgoing-message.js';

const TEMPLATE =
  '<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{ID}" Version="2.0" IssueInstant="{IssueInstant}" Destination="{Destination}" NotOnOrAfter="{NotOnOrAfter}" Reason="urn:oasis:names:tc:SAML:2.0:logout:user">' +
  '<saml:Issuer>{Issuer}</saml:Issuer>' +
  '<saml:NameID Format="{NameIDFormat}">{NameID}</saml:NameID>' +
  '<samlp:SessionIndex>{SessionIndex}</samlp:SessionIndex>' +
  '</samlp:LogoutRequest>';

/** Whom a LogoutRequest signs out: what the SP was told at sign-in. */
export interface LogoutSubject {
  nameId: string;
  nameIdFormat: string;
  sessionIndex: string | null;
}

/** What one LogoutRequest of a single logout chain needs. */
export interface LogoutRequestInput {
  sp: ServiceProvider;
  endpoint: SloEndpoint;
  subject: LogoutSubject;
  /** Opaque handle of the chain, for the SP to send back with its LogoutResponse. */
  relayState: string;
  now: number;
  /** How long the SP has to act on it. */
  lifetimeMs: number;
}

/**
 * Builds the signed LogoutRequests Passgate sends the other SPs of a session during single
 * logout (NameID and SessionIndex as stated at sign-in), by the binding of the SP's service.
 */
export class LogoutRequestBuilder {
  constructor(
    private readonly idps: IdpInstances,
    private readonly defaultIssuer: string,
  ) {}

  /** One LogoutRequest; its ID is what the SP's LogoutResponse must answer. */
  build(input: LogoutRequestInput): OutgoingMessage {
    const { sp, endpoint, subject, now } = input;
    const id = `_${randomBytes(20).toString('hex')}`;
    const xml = samlify.SamlLib.replaceTagsByValue(TEMPLATE, {
      ID: id,
      IssueInstant: new Date(now).toISOString(),
      NotOnOrAfter: new Date(now + input.lifetimeMs).toISOString(),
      Destination: endpoint.url ?? endpoint.responseUrl,
      Issuer: sp.settings.issuer ?? this.defaultIssuer,
      NameIDFormat: subject.nameIdFormat,
      NameID: subject.nameId,
      SessionIndex: subject.sessionIndex ?? undefined,
    });
    return signOutgoing(this.idps.signer, {
      id,
      xml,
      target: 'logoutRequest',
      parameter: 'SAMLRequest',
      binding: endpoint.binding,
      url: endpoint.url ?? endpoint.responseUrl,
      relayState: input.relayState,
      algorithm: sp.settings.signatureAlgorithm,
    });
  }
}
