import { createHash, createPrivateKey, type KeyObject, sign, X509Certificate } from 'node:crypto';
import { element, startTag } from './canonical-xml.js';
import { type SamlLib, samlify } from './samlify.js';
import type { SamlSigningKey } from './signing-key.js';

/** XML-DSig signature algorithms by their names in SP files. */
export const SIGNATURE_ALGORITHMS = {
  sha256: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  sha1: 'http://www.w3.org/2000/09/xmldsig#rsa-sha1',
} as const;

/** The name of a signature algorithm in SP files. */
export type SignatureAlgorithmName = keyof typeof SIGNATURE_ALGORITHMS;

/** What a signature covers: the whole Response, its Assertion, or a whole LogoutResponse or LogoutRequest. */
export type SignatureTarget = 'response' | 'assertion' | 'logoutResponse' | 'logoutRequest';

const REFERENCE = {
  response: undefined,
  assertion: "/*[local-name(.)='Response']/*[local-name(.)='Assertion']",
  logoutResponse: undefined,
  logoutRequest: undefined,
} as const;

/** Node's names of the RSA signature algorithms, for HTTP-Redirect query signatures. */
const NODE_ALGORITHMS = { sha256: 'RSA-SHA256', sha1: 'RSA-SHA1' } as const;

/** The digest that goes with each signature algorithm (samlify's pairing): XML-DSig URI, node's name. */
const DIGESTS = {
  sha256: { uri: 'http://www.w3.org/2001/04/xmlenc#sha256', node: 'sha256' },
  sha1: { uri: 'http://www.w3.org/2000/09/xmldsig#sha1', node: 'sha1' },
} as const;

const DSIG = { prefix: 'ds', uri: 'http://www.w3.org/2000/09/xmldsig#' } as const;
const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';

/** The signature goes right after the Issuer of what it signs (SAML core, 5.4.1). */
const LOCATION = {
  response: "/*[local-name(.)='Response']/*[local-name(.)='Issuer']",
  logoutResponse: "/*[local-name(.)='LogoutResponse']/*[local-name(.)='Issuer']",
  logoutRequest: "/*[local-name(.)='LogoutRequest']/*[local-name(.)='Issuer']",
  assertion: "/*[local-name(.)='Response']/*[local-name(.)='Assertion']/*[local-name(.)='Issuer']",
} as const;

/**
 * Signs SAML messages (enveloped, exclusive c14n) with samlify's signer, over a key and a
 * certificate parsed once. samlify takes the key as PEM and hands it to node's crypto as such,
 * which parses it on every signature (about 1 ms, four times the RSA operation itself), and it
 * parses the certificate again for every signature too. A `KeyObject` passes through samlify to
 * xml-crypto unchanged; the certificate's public key is answered from this signer's own view of
 * SamlLib (samlify's module object is left as it is).
 */
export class XmlSigner {
  private readonly privateKey: KeyObject;
  /** The certificate as base64 DER: the content of ds:X509Certificate. */
  private readonly certificate: string;
  /** samlify's SamlLib whose getKeyInfo returns the public key parsed once. */
  private readonly lib: SamlLib;

  constructor(key: SamlSigningKey) {
    this.privateKey = createPrivateKey(key.privateKeyPem);
    this.certificate = key.certificatePem.replace(/-----[^-]+-----|\s/g, '');
    const publicKeyPem = new X509Certificate(key.certificatePem).publicKey
      .export({ type: 'spki', format: 'pem' })
      .toString();
    const base = samlify.SamlLib;
    this.lib = Object.create(base, {
      getKeyInfo: {
        value: (certificate: string, config?: { prefix?: string }) => ({
          getKeyInfo: base.getKeyInfo(certificate, config).getKeyInfo,
          getKey: () => publicKeyPem,
        }),
      },
    }) as SamlLib;
  }

  /** `xml` with a signature over `target`; base64 of the result when `base64` is set. */
  sign(xml: string, target: SignatureTarget, algorithm: SignatureAlgorithmName, base64 = false): string {
    const reference = REFERENCE[target];
    return this.lib.constructSAMLSignature({
      rawSamlMessage: xml,
      ...(reference ? { referenceTagXPath: reference } : {}),
      // samlify passes the key to xml-crypto untouched when there is no passphrase.
      privateKey: this.privateKey as unknown as string,
      signingCert: this.certificate,
      signatureAlgorithm: SIGNATURE_ALGORITHMS[algorithm],
      isMessageSigned: target !== 'assertion',
      isBase64Output: base64,
      signatureConfig: { prefix: 'ds', location: { reference: LOCATION[target], action: 'after' } },
    });
  }

  /**
   * The enveloped signature (exclusive c14n, as {@link sign} makes it) of the element whose ID is
   * `id`, given that element's text already in exclusive canonical form without the signature
   * (see canonical-xml.ts): the digest is taken over that text as it is, no parse needed. The
   * result is itself canonical: the signature element goes into the signed element as written.
   */
  envelopedSignature(canonical: string, id: string, algorithm: SignatureAlgorithmName): string {
    const digest = DIGESTS[algorithm];
    const digestValue = createHash(digest.node).update(canonical, 'utf8').digest('base64');
    const algorithmElement = (name: string, uri: string) => element(`ds:${name}`, [['Algorithm', uri]], '');
    const signedInfo =
      algorithmElement('CanonicalizationMethod', EXC_C14N) +
      algorithmElement('SignatureMethod', SIGNATURE_ALGORITHMS[algorithm]) +
      element(
        'ds:Reference',
        [['URI', `#${id}`]],
        element(
          'ds:Transforms',
          [],
          algorithmElement('Transform', ENVELOPED) + algorithmElement('Transform', EXC_C14N),
        ) +
          algorithmElement('DigestMethod', digest.uri) +
          `<ds:DigestValue>${digestValue}</ds:DigestValue>`,
      );
    // SignedInfo is canonicalised on its own: it then declares the ds namespace itself.
    const signedInfoCanonical = element('ds:SignedInfo', [], signedInfo, DSIG);
    const signatureValue = sign(
      NODE_ALGORITHMS[algorithm],
      Buffer.from(signedInfoCanonical, 'utf8'),
      this.privateKey,
    ).toString('base64');
    return (
      startTag('ds:Signature', [], DSIG) +
      element('ds:SignedInfo', [], signedInfo) +
      `<ds:SignatureValue>${signatureValue}</ds:SignatureValue>` +
      `<ds:KeyInfo><ds:X509Data><ds:X509Certificate>${this.certificate}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>` +
      '</ds:Signature>'
    );
  }

  /**
   * The base64 signature of an HTTP-Redirect message: over the octet string
   * `SAMLResponse=..&RelayState=..&SigAlg=..` as it goes in the query (saml-bindings 3.4.4.1).
   */
  signOctets(octets: string, algorithm: SignatureAlgorithmName): string {
    return sign(NODE_ALGORITHMS[algorithm], Buffer.from(octets, 'utf8'), this.privateKey).toString('base64');
  }
}
