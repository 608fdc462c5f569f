import type { Element } from '@xmldom/xmldom';
import { children, parseXml } from '../messages/xml-guard.js';

const MD = 'urn:oasis:names:tc:SAML:2.0:metadata';
const DS = 'http://www.w3.org/2000/09/xmldsig#';
/** The bindings Passgate can answer on. */
export const BINDINGS = {
  post: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST',
  redirect: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect',
} as const;

/** One AssertionConsumerService of an SP's metadata. */
export interface AcsEndpoint {
  url: string;
  binding: string;
  index: number | undefined;
  isDefault: boolean;
}

/** One SingleLogoutService of an SP's metadata (HTTP-Redirect or HTTP-POST). */
export interface SloEndpoint {
  binding: 'redirect' | 'post';
  /** Where LogoutResponses go: ResponseLocation, else Location. */
  responseUrl: string;
  /** Where LogoutRequests go: Location (absent: responseUrl). */
  url?: string;
}

/** What Passgate needs from an SP's metadata. */
export interface SpMetadata {
  entityId: string;
  acs: AcsEndpoint[];
  /** Its single logout services Passgate can answer on; empty when it has none. */
  slo: SloEndpoint[];
  signsRequests: boolean;
  /** WantAssertionsSigned: the SP wants the assertion itself signed, not only the response. */
  wantAssertionsSigned: boolean;
  /** Its NameIDFormat elements, in the metadata's order. */
  nameIdFormats: string[];
  /** Base64 DER certificates of `use="signing"` (or unspecified use) key descriptors. */
  signingCertificates: string[];
  encryptionCertificate: string | undefined;
}

/**
 * Reads an SP's SAML metadata (an EntityDescriptor with one SPSSODescriptor). Only HTTP-POST
 * consumer services are kept: a response is too large for a redirect.
 */
export function readSpMetadata(xml: string): SpMetadata {
  const root = parseXml(xml).documentElement;
  if (root?.localName !== 'EntityDescriptor' || root.namespaceURI !== MD) {
    throw new Error('not SAML metadata: the root element must be md:EntityDescriptor');
  }
  const entityId = root.getAttribute('entityID');
  if (!entityId) throw new Error('EntityDescriptor has no entityID');
  const descriptor = children(root, 'SPSSODescriptor', MD)[0];
  if (!descriptor) throw new Error('the metadata has no SPSSODescriptor');
  const acs = children(descriptor, 'AssertionConsumerService', MD)
    .map(toAcs)
    .filter((a) => a.binding === BINDINGS.post);
  if (acs.length === 0) throw new Error('the metadata has no HTTP-POST AssertionConsumerService');
  const keys = children(descriptor, 'KeyDescriptor', MD).map((k) => ({
    use: k.getAttribute('use') ?? '',
    certificate: certificateOf(k),
  }));
  const certificates = (use: string) =>
    keys.filter((k) => (k.use === '' || k.use === use) && k.certificate).map((k) => k.certificate!);
  return {
    entityId,
    acs,
    slo: children(descriptor, 'SingleLogoutService', MD).flatMap(toSlo),
    signsRequests: descriptor.getAttribute('AuthnRequestsSigned') === 'true',
    wantAssertionsSigned: descriptor.getAttribute('WantAssertionsSigned') === 'true',
    nameIdFormats: children(descriptor, 'NameIDFormat', MD).map((e) => e.textContent?.trim() ?? ''),
    signingCertificates: certificates('signing'),
    encryptionCertificate: certificates('encryption')[0],
  };
}

function toAcs(element: Element): AcsEndpoint {
  const url = element.getAttribute('Location');
  if (!url || !/^https?:\/\//.test(url))
    throw new Error('an AssertionConsumerService has no http(s) Location');
  const index = element.getAttribute('index');
  return {
    url,
    binding: element.getAttribute('Binding') ?? '',
    index: index === null || index === '' ? undefined : Number(index),
    isDefault: element.getAttribute('isDefault') === 'true',
  };
}

function toSlo(element: Element): SloEndpoint[] {
  const binding = element.getAttribute('Binding');
  const kind = binding === BINDINGS.redirect ? 'redirect' : binding === BINDINGS.post ? 'post' : undefined;
  const location = element.getAttribute('Location');
  const url = element.getAttribute('ResponseLocation') || location;
  if (!kind) return [];
  if (!url || !location || !/^https?:\/\//.test(url) || !/^https?:\/\//.test(location))
    throw new Error('a SingleLogoutService has no http(s) Location');
  return [{ binding: kind, responseUrl: url, url: location }];
}

function certificateOf(keyDescriptor: Element): string | undefined {
  const text = keyDescriptor.getElementsByTagNameNS(DS, 'X509Certificate')[0]?.textContent;
  return text ? text.replace(/\s+/g, '') : undefined;
}
