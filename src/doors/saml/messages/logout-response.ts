import { randomBytes } from 'node:crypto';
import { type OutgoingMessage, signOutgoing } from '../logout/outgoing-message.js';
import type { ServiceProvider } from '../service-providers/service-provider.js';
import type { SloEndpoint } from '../service-providers/sp-metadata.js';
import type { IdpInstances } from '../signing/identity.js';
import { samlify } from '../signing/samlify.js';

const SUCCESS = '<samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/>';
/** Success with the second-level PartialLogout (saml-core 3.2.2.2): not every session participant was reached. */
const PARTIAL =
  '<samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success">' +
  '<samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:PartialLogout"/></samlp:StatusCode>';

const TEMPLATE =
  '<samlp:LogoutResponse xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{ID}" Version="2.0" IssueInstant="{IssueInstant}" Destination="{Destination}" InResponseTo="{InResponseTo}">' +
  '<saml:Issuer>{Issuer}</saml:Issuer>' +
  '<samlp:Status>{StatusCode}</samlp:Status>' +
  '</samlp:LogoutResponse>';

/** A signed LogoutResponse, as its binding carries it (POST: `samlResponse` is the form's value). */
export type LogoutResponse =
  | Extract<OutgoingMessage, { binding: 'redirect' }>
  | (Extract<OutgoingMessage, { binding: 'post' }> & { samlResponse: string });

/** What a LogoutResponse answers. */
export interface LogoutAnswer {
  sp: ServiceProvider;
  /** The SP's single logout service the answer goes to (from its metadata only). */
  endpoint: SloEndpoint;
  inResponseTo: string;
  relayState: string | undefined;
  now: number;
  /** Some application of the session could not be signed out (PartialLogout). */
  partial?: boolean;
}

/**
 * Builds the signed LogoutResponses of `/saml/slo` (Success, or Success/PartialLogout when some
 * application was not reached): HTTP-POST with an enveloped signature, HTTP-Redirect with the
 * query signature of the Redirect binding, each with the SP's signature algorithm.
 */
export class LogoutResponseBuilder {
  constructor(
    private readonly idps: IdpInstances,
    private readonly defaultIssuer: string,
  ) {}

  /** The answer to one validated LogoutRequest. */
  build(answer: LogoutAnswer): LogoutResponse {
    const { sp, endpoint, relayState } = answer;
    const id = `_${randomBytes(20).toString('hex')}`;
    // The status is markup of our own, put in before the values (which are escaped).
    const template = TEMPLATE.replace('{StatusCode}', answer.partial ? PARTIAL : SUCCESS);
    const xml = samlify.SamlLib.replaceTagsByValue(template, {
      ID: id,
      IssueInstant: new Date(answer.now).toISOString(),
      Destination: endpoint.responseUrl,
      InResponseTo: answer.inResponseTo,
      // A LogoutRequest names no user Passgate can map to a domain: issuerByDomain is not used here.
      Issuer: sp.settings.issuer ?? this.defaultIssuer,
    });
    const message = signOutgoing(this.idps.signer, {
      id,
      xml,
      target: 'logoutResponse',
      parameter: 'SAMLResponse',
      binding: endpoint.binding,
      url: endpoint.responseUrl,
      relayState,
      algorithm: sp.settings.signatureAlgorithm,
    });
    return message.binding === 'post' ? { ...message, samlResponse: message.value } : message;
  }
}
