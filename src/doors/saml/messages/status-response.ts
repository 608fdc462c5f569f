import { randomHex } from '../../../crypto/random-pool.js';
import type { LoginResponse, ResponseRequestInfo } from '../response/response.js';
import { pickAcs } from '../service-providers/acs.js';
import type { ServiceProvider } from '../service-providers/service-provider.js';
import type { IdpInstances } from '../signing/identity.js';
import { samlify } from '../signing/samlify.js';

const STATUS = 'urn:oasis:names:tc:SAML:2.0:status:';

/**
 * The status codes Passgate answers with when there is no user to assert: the top level says
 * whose side it is (Requester: what the SP asked for; Responder: what happened here), the second
 * level what (SAML core 3.2.2.2).
 */
export const SAML_STATUSES = {
  /** The user did not (or could not) authenticate: cancelled, denied by policy. */
  authnFailed: { top: 'Responder', second: `${STATUS}AuthnFailed` },
  /** Passgate will not answer this request for this user. */
  requestDenied: { top: 'Responder', second: `${STATUS}RequestDenied` },
  /** IsPassive was asked, and Passgate cannot sign a user in without a page. */
  noPassive: { top: 'Responder', second: `${STATUS}NoPassive` },
  /** The RequestedAuthnContext asks for more than Passgate can prove (see authn-context.ts). */
  noAuthnContext: { top: 'Requester', second: `${STATUS}NoAuthnContext` },
  /** The request's Subject is not the user who signed in. */
  unknownPrincipal: { top: 'Requester', second: `${STATUS}UnknownPrincipal` },
} as const;

/** A status that is not Success. */
export type SamlStatus = keyof typeof SAML_STATUSES;

const TEMPLATE =
  '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{ID}" Version="2.0" IssueInstant="{IssueInstant}" Destination="{Destination}" InResponseTo="{InResponseTo}">' +
  '<saml:Issuer>{Issuer}</saml:Issuer>' +
  '<samlp:Status><samlp:StatusCode Value="{TopStatus}">' +
  '<samlp:StatusCode Value="{Status}"/></samlp:StatusCode></samlp:Status></samlp:Response>';

/**
 * Builds the signed error responses of the SAML door (no assertion): Responder or Requester with
 * a second status such as AuthnFailed, so that the SP shows its own "sign-in failed" page instead of
 * leaving the user on Passgate's.
 */
export class StatusResponseBuilder {
  constructor(
    private readonly idps: IdpInstances,
    private readonly defaultIssuer: string,
  ) {}

  /** The response of `status` to `sp`, signed at the Response with the SP's algorithm. */
  build(sp: ServiceProvider, request: ResponseRequestInfo, status: SamlStatus, now: number): LoginResponse {
    const acs = pickAcs(sp, { url: request.acsUrl });
    const id = `_${randomHex(20)}`;
    const xml = samlify.SamlLib.replaceTagsByValue(TEMPLATE, {
      ID: id,
      IssueInstant: new Date(now).toISOString(),
      Destination: acs.url,
      InResponseTo: request.id,
      Issuer: sp.settings.issuer ?? this.defaultIssuer,
      TopStatus: `${STATUS}${SAML_STATUSES[status].top}`,
      Status: SAML_STATUSES[status].second,
    });
    const signed = this.idps.signer.sign(xml, 'response', sp.settings.signatureAlgorithm, true);
    return { id, acsUrl: acs.url, samlResponse: signed, relayState: request.relayState };
  }
}
