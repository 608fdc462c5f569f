import { createPrivateKey, type KeyObject, sign, X509Certificate } from 'node:crypto';
import { type SamlLib, samlify } from './samlify.js';
import type { SamlSigningKey } from './signing-key.js';

/** XML-DSig signature algorithms by their names in SP files. */
export const SIGNATURE_ALGORITHMS = {
  sha256: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  sha1: 'http://www.w3.org/2000/09/xmldsig#rsa-sha1',
} as const;

/** The name of a signature algorithm in SP files. */
export type SignatureAlgorithmName = keyof typeof SIGNATURE_ALGORITHMS;

/** What a signature covers: the whole Response, its Assertion, or a whole LogoutResponse. */
export type SignatureTarget = 'response' | 'assertion' | 'logoutResponse';

const REFERENCE = {
  response: undefined,
  assertion: "/*[local-name(.)='Response']/*[local-name(.)='Assertion']",
  logoutResponse: undefined,
} as const;

/** Node's names of the RSA signature algorithms, for HTTP-Redirect query signatures. */
const NODE_ALGORITHMS = { sha256: 'RSA-SHA256', sha1: 'RSA-SHA1' } as const;

/** The signature goes right after the Issuer of what it signs (SAML core, 5.4.1). */
const LOCATION = {
  response: "/*[local-name(.)='Response']/*[local-name(.)='Issuer']",
  logoutResponse: "/*[local-name(.)='LogoutResponse']/*[local-name(.)='Issuer']",
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
   * The base64 signature of an HTTP-Redirect message: over the octet string
   * `SAMLResponse=..&RelayState=..&SigAlg=..` as it goes in the query (saml-bindings 3.4.4.1).
   */
  signOctets(octets: string, algorithm: SignatureAlgorithmName): string {
    return sign(NODE_ALGORITHMS[algorithm], Buffer.from(octets, 'utf8'), this.privateKey).toString('base64');
  }
}
