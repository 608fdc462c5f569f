import { randomBytes } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import type { ServiceProvider } from '../service-providers/service-provider.js';
import type { SloEndpoint } from '../service-providers/sp-metadata.js';
import type { IdpInstances } from '../signing/identity.js';
import { samlify } from '../signing/samlify.js';
import { SIGNATURE_ALGORITHMS } from '../signing/xml-signer.js';

const TEMPLATE =
  '<samlp:LogoutResponse xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{ID}" Version="2.0" IssueInstant="{IssueInstant}" Destination="{Destination}" InResponseTo="{InResponseTo}">' +
  '<saml:Issuer>{Issuer}</saml:Issuer>' +
  '<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>' +
  '</samlp:LogoutResponse>';

/** A signed LogoutResponse, as its binding carries it. */
export type LogoutResponse =
  | {
      binding: 'redirect';
      id: string /** The SP's URL with SAMLResponse, RelayState, SigAlg, Signature. */;
      location: string;
    }
  | {
      binding: 'post';
      id: string;
      url: string /** Base64 of the signed XML. */;
      samlResponse: string;
      relayState: string | undefined;
    };

/** What a LogoutResponse answers. */
export interface LogoutAnswer {
  sp: ServiceProvider;
  /** The SP's single logout service the answer goes to (from its metadata only). */
  endpoint: SloEndpoint;
  inResponseTo: string;
  relayState: string | undefined;
  now: number;
}

/**
 * Builds the signed LogoutResponses (Success) of `/saml/slo`: HTTP-POST with an enveloped
 * signature (exclusive c14n), HTTP-Redirect with the query signature of the Redirect binding, each
 * with the SP's signature algorithm.
 */
export class LogoutResponseBuilder {
  constructor(
    private readonly idps: IdpInstances,
    private readonly defaultIssuer: string,
  ) {}

  /** The answer to one validated LogoutRequest. */
  build(answer: LogoutAnswer): LogoutResponse {
    const { sp, endpoint, relayState } = answer;
    const algorithm = sp.settings.signatureAlgorithm;
    const id = `_${randomBytes(20).toString('hex')}`;
    const xml = samlify.SamlLib.replaceTagsByValue(TEMPLATE, {
      ID: id,
      IssueInstant: new Date(answer.now).toISOString(),
      Destination: endpoint.responseUrl,
      InResponseTo: answer.inResponseTo,
      // A LogoutRequest names no user Passgate can map to a domain: issuerByDomain is not used here.
      Issuer: sp.settings.issuer ?? this.defaultIssuer,
    });
    const signer = this.idps.signer;
    if (endpoint.binding === 'post') {
      const samlResponse = signer.sign(xml, 'logoutResponse', algorithm, true);
      return { binding: 'post', id, url: endpoint.responseUrl, samlResponse, relayState };
    }
    const enc = encodeURIComponent;
    const octets = [
      `SAMLResponse=${enc(deflateRawSync(Buffer.from(xml, 'utf8')).toString('base64'))}`,
      ...(relayState !== undefined ? [`RelayState=${enc(relayState)}`] : []),
      `SigAlg=${enc(SIGNATURE_ALGORITHMS[algorithm])}`,
    ].join('&');
    const signature = enc(signer.signOctets(octets, algorithm));
    const separator = endpoint.responseUrl.includes('?') ? '&' : '?';
    return {
      binding: 'redirect',
      id,
      location: `${endpoint.responseUrl}${separator}${octets}&Signature=${signature}`,
    };
  }
}
