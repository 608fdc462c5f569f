import { inflateRawSync } from 'node:zlib';
import { SamlErrors } from '../errors.js';

/** Largest request accepted, decoded (real ones are a few KiB). */
const MAX_XML_BYTES = 64 * 1024;

/** The parameters of the SAML bindings: each may come once at most. */
const PARAMETERS = ['SAMLRequest', 'SAMLResponse', 'RelayState', 'SigAlg', 'Signature'] as const;

/** A request (AuthnRequest, LogoutRequest) as it arrived, by binding. */
export type IncomingRequest =
  | {
      binding: 'redirect';
      /** The decoded query parameters (SAMLRequest, RelayState, SigAlg, Signature). */
      query: Record<string, unknown>;
      /** The raw query string as received (after `?`), to check the signature over its exact bytes. */
      rawQuery: string;
    }
  | { binding: 'post'; body: Record<string, unknown> };

/** A request's XML and the binding parameters that travel beside it. */
export interface RequestMessage {
  xml: string;
  relayState: string | undefined;
  /** Whether the Redirect binding's query carries a Signature (POST signatures are in the XML). */
  querySigned: boolean;
}

/**
 * Reads a request off its binding: each SAML parameter at most once (SAML_PARAMETER_REPEATED
 * otherwise: a second RelayState would be dropped silently, and a signed Redirect request is
 * checked over the first of each only), and the XML deflated in the query (Redirect) or in base64
 * in the form (POST).
 */
export function readRequestMessage(
  request: IncomingRequest,
  parameter: 'SAMLRequest' | 'SAMLResponse' = 'SAMLRequest',
): RequestMessage {
  const source = request.binding === 'redirect' ? request.query : request.body;
  for (const name of PARAMETERS) {
    const value = source[name];
    if (value !== undefined && typeof value !== 'string') {
      throw SamlErrors.SAML_PARAMETER_REPEATED({ detail: `${name} appears more than once` });
    }
  }
  if (request.binding === 'redirect') checkRawNames(request.rawQuery);
  const relayState = source.RelayState as string | undefined;
  return {
    xml: requestXml(request.binding, source[parameter], parameter),
    relayState,
    querySigned: request.binding === 'redirect' && source.Signature !== undefined,
  };
}

/**
 * Refuses a SAML parameter whose name is percent-encoded in the raw query (`Relay%53tate`): the
 * query parser decodes it to RelayState, while the signed octet string is taken from the names as
 * spelled, so such a value would travel beside a signature that does not cover it.
 */
function checkRawNames(rawQuery: string): void {
  for (const part of rawQuery.split('&')) {
    const spelled = part.split('=', 1)[0] ?? '';
    let name: string;
    try {
      name = decodeURIComponent(spelled.replaceAll('+', ' '));
    } catch {
      continue; // not a name the query parser turns into a SAML parameter
    }
    if (name !== spelled && (PARAMETERS as readonly string[]).includes(name)) {
      throw SamlErrors.SAML_REQUEST_MALFORMED({ detail: `the parameter name ${name} is percent-encoded` });
    }
  }
}

function requestXml(binding: IncomingRequest['binding'], encoded: unknown, parameter: string): string {
  if (typeof encoded !== 'string' || encoded.length === 0 || encoded.length > MAX_XML_BYTES * 2) {
    throw SamlErrors.SAML_REQUEST_MALFORMED({ detail: `no usable ${parameter} parameter` });
  }
  const bytes = Buffer.from(encoded, 'base64');
  try {
    const xml = binding === 'redirect' ? inflateRawSync(bytes, { maxOutputLength: MAX_XML_BYTES }) : bytes;
    if (xml.length > MAX_XML_BYTES) throw new Error('too large');
    return xml.toString('utf8');
  } catch (error) {
    throw SamlErrors.SAML_REQUEST_MALFORMED({ detail: `${parameter} does not decode`, cause: error });
  }
}

/**
 * The octet string a Redirect-binding signature covers: `SAMLRequest=..&RelayState=..&SigAlg=..`
 * exactly as the SP encoded them (saml-bindings 3.4.4.1), taken from the raw query.
 */
export function redirectOctetString(
  rawQuery: string,
  parameter: 'SAMLRequest' | 'SAMLResponse' = 'SAMLRequest',
): string {
  const raw = new Map<string, string>();
  for (const part of rawQuery.split('&')) {
    const [name = '', value = ''] = part.split('=', 2);
    if (!raw.has(name)) raw.set(name, value);
  }
  return [parameter, 'RelayState', 'SigAlg']
    .filter((name) => raw.has(name))
    .map((name) => `${name}=${raw.get(name)}`)
    .join('&');
}
