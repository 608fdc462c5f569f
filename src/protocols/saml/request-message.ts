import { inflateRawSync } from 'node:zlib';
import { SamlErrors } from './errors.js';

/** Largest AuthnRequest accepted, decoded (real ones are a few KiB). */
const MAX_XML_BYTES = 64 * 1024;

/** An AuthnRequest as it arrived, by binding. */
export type IncomingRequest =
  | {
      binding: 'redirect';
      /** The decoded query parameters (SAMLRequest, RelayState, SigAlg, Signature). */
      query: Record<string, unknown>;
      /** The raw query string as received (after `?`), to check the signature over its exact bytes. */
      rawQuery: string;
    }
  | { binding: 'post'; body: Record<string, unknown> };

/** The XML of an incoming AuthnRequest: deflated in the query (Redirect), base64 in the form (POST). */
export function requestXml(request: IncomingRequest): string {
  const source = request.binding === 'redirect' ? request.query : request.body;
  const encoded = source.SAMLRequest;
  if (typeof encoded !== 'string' || encoded.length === 0 || encoded.length > MAX_XML_BYTES * 2) {
    throw SamlErrors.SAML_REQUEST_MALFORMED({ detail: 'no usable SAMLRequest parameter' });
  }
  const bytes = Buffer.from(encoded, 'base64');
  try {
    const xml =
      request.binding === 'redirect' ? inflateRawSync(bytes, { maxOutputLength: MAX_XML_BYTES }) : bytes;
    if (xml.length > MAX_XML_BYTES) throw new Error('too large');
    return xml.toString('utf8');
  } catch (error) {
    throw SamlErrors.SAML_REQUEST_MALFORMED({ detail: 'SAMLRequest does not decode', cause: error });
  }
}

/**
 * The octet string a Redirect-binding signature covers: `SAMLRequest=..&RelayState=..&SigAlg=..`
 * exactly as the SP encoded them (saml-bindings 3.4.4.1), taken from the raw query.
 */
export function redirectOctetString(rawQuery: string): string {
  const raw = new Map<string, string>();
  for (const part of rawQuery.split('&')) {
    const [name = '', value = ''] = part.split('=', 2);
    if (!raw.has(name)) raw.set(name, value);
  }
  return ['SAMLRequest', 'RelayState', 'SigAlg']
    .filter((name) => raw.has(name))
    .map((name) => `${name}=${raw.get(name)}`)
    .join('&');
}
