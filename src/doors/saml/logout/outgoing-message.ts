import { deflateRawSync } from 'node:zlib';
import type { SignatureAlgorithmName, SignatureTarget, XmlSigner } from '../signing/xml-signer.js';
import { SIGNATURE_ALGORITHMS } from '../signing/xml-signer.js';

/** A signed message Passgate sends an SP through the browser, as its binding carries it. */
export type OutgoingMessage =
  | {
      binding: 'redirect';
      id: string;
      /** The SP's URL with the message, RelayState, SigAlg and Signature. */
      location: string;
    }
  | {
      binding: 'post';
      id: string;
      url: string;
      /** The form field the message goes in. */
      parameter: 'SAMLRequest' | 'SAMLResponse';
      /** Base64 of the signed XML. */
      value: string;
      relayState: string | undefined;
    };

/** What to sign and where it goes. */
export interface OutgoingInput {
  id: string;
  xml: string;
  target: Extract<SignatureTarget, 'logoutRequest' | 'logoutResponse'>;
  parameter: 'SAMLRequest' | 'SAMLResponse';
  binding: 'redirect' | 'post';
  url: string;
  relayState: string | undefined;
  algorithm: SignatureAlgorithmName;
}

/**
 * Signs a logout message for its binding, so LogoutRequests and LogoutResponses travel alike:
 * HTTP-POST with an enveloped signature (exclusive c14n), HTTP-Redirect with the query signature
 * of the Redirect binding (saml-bindings 3.4.4.1).
 */
export function signOutgoing(signer: XmlSigner, input: OutgoingInput): OutgoingMessage {
  const { id, xml, binding, url, relayState, algorithm, parameter } = input;
  if (binding === 'post') {
    const value = signer.sign(xml, input.target, algorithm, true);
    return { binding: 'post', id, url, parameter, value, relayState };
  }
  const enc = encodeURIComponent;
  const octets = [
    `${parameter}=${enc(deflateRawSync(Buffer.from(xml, 'utf8')).toString('base64'))}`,
    ...(relayState !== undefined ? [`RelayState=${enc(relayState)}`] : []),
    `SigAlg=${enc(SIGNATURE_ALGORITHMS[algorithm])}`,
  ].join('&');
  const signature = enc(signer.signOctets(octets, algorithm));
  const separator = url.includes('?') ? '&' : '?';
  return { binding: 'redirect', id, location: `${url}${separator}${octets}&Signature=${signature}` };
}
