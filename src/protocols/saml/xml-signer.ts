import { createPrivateKey, type KeyObject } from 'node:crypto';
import { SIGNATURE_ALGORITHMS } from './identity.js';
import { samlify } from './samlify.js';
import type { SamlSigningKey } from './signing-key.js';

/** The name of a signature algorithm in SP files. */
export type SignatureAlgorithmName = keyof typeof SIGNATURE_ALGORITHMS;

/** What a signature covers: the whole Response, or its Assertion. */
export type SignatureTarget = 'response' | 'assertion';

const REFERENCE = {
  response: undefined,
  assertion: "/*[local-name(.)='Response']/*[local-name(.)='Assertion']",
} as const;

/** The signature goes right after the Issuer of what it signs (SAML core, 5.4.1). */
const LOCATION = {
  response: "/*[local-name(.)='Response']/*[local-name(.)='Issuer']",
  assertion: "/*[local-name(.)='Response']/*[local-name(.)='Assertion']/*[local-name(.)='Issuer']",
} as const;

/**
 * Signs SAML messages (enveloped, exclusive c14n) with samlify's signer, over a private key parsed
 * once. samlify takes the key as PEM and hands it to node's crypto as such, which parses the PEM
 * on every signature (about 1 ms, four times the RSA operation itself); a `KeyObject` passes
 * through samlify to xml-crypto unchanged and is used as it is.
 */
export class XmlSigner {
  private readonly privateKey: KeyObject;
  /** The certificate as base64 DER: the content of ds:X509Certificate. */
  private readonly certificate: string;

  constructor(key: SamlSigningKey) {
    this.privateKey = createPrivateKey(key.privateKeyPem);
    this.certificate = key.certificatePem.replace(/-----[^-]+-----|\s/g, '');
  }

  /** `xml` with a signature over `target`; base64 of the result when `base64` is set. */
  sign(xml: string, target: SignatureTarget, algorithm: SignatureAlgorithmName, base64 = false): string {
    const reference = REFERENCE[target];
    return samlify.SamlLib.constructSAMLSignature({
      rawSamlMessage: xml,
      ...(reference ? { referenceTagXPath: reference } : {}),
      // samlify passes the key to xml-crypto untouched when there is no passphrase.
      privateKey: this.privateKey as unknown as string,
      signingCert: this.certificate,
      signatureAlgorithm: SIGNATURE_ALGORITHMS[algorithm],
      isMessageSigned: target === 'response',
      isBase64Output: base64,
      signatureConfig: { prefix: 'ds', location: { reference: LOCATION[target], action: 'after' } },
    });
  }
}
