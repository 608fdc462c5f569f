import { createPrivateKey } from 'node:crypto';
import { type CertificateSubject, certificatePem, selfSignedCertifier } from '../../../keys/certificate.js';
import type { Certify, PrivateJwk, SigningAlgorithm, SigningKeys } from '../../../keys/signing-keys.js';
import { SamlErrors } from '../errors.js';

/** Purpose under which the SAML signing key is stored. */
export const SAML_KEY_PURPOSE = 'saml';
/** SAML signs with RSA (RSA-SHA256, or RSA-SHA1 for an SP that needs it): one RSA-2048 key. */
export const SAML_ALGORITHMS: readonly SigningAlgorithm[] = ['RS256'];

/** The IdP's current signing key and its certificate, in the PEM forms samlify takes. */
export interface SamlSigningKey {
  kid: string;
  privateKeyPem: string;
  certificatePem: string;
}

/** The certificate maker for SAML keys: self-signed, CN = the public host. */
export function samlCertifier(publicUrl: string, validityYears: number, clock: () => number): Certify {
  const subject = (): CertificateSubject => ({
    commonName: new URL(publicUrl).hostname,
    validityYears,
    now: clock(),
  });
  return selfSignedCertifier(subject);
}

/** Creates the SAML key and certificate when there is none (first start). */
export function ensureSamlKey(keys: SigningKeys, certify: Certify): Promise<string[]> {
  return keys.ensureCurrent(SAML_KEY_PURPOSE, SAML_ALGORITHMS, certify);
}

/** The SAML keys as the door uses them: the one that signs, and every certificate its metadata publishes. */
export interface SamlKeys {
  signing: SamlSigningKey;
  /** PEM certificates of the current key, the next key and retired keys still published, in that order. */
  published: string[];
}

/** The current SAML signing key and the published certificates; SAML_NO_SIGNING_KEY when there is no current key with a certificate. */
export async function loadSamlKeys(keys: SigningKeys): Promise<SamlKeys> {
  const jwks = await keys.privateJwks(SAML_KEY_PURPOSE);
  const current = jwks.find((jwk) => jwk.key_ops === undefined);
  const der = current && certificateOf(current);
  if (!current || der === undefined) {
    throw SamlErrors.SAML_NO_SIGNING_KEY({ detail: 'no current SAML signing key with a certificate' });
  }
  const privateKeyPem = createPrivateKey({ key: current, format: 'jwk' })
    .export({ format: 'pem', type: 'pkcs8' })
    .toString();
  const published = jwks.flatMap((jwk) => {
    const cert = certificateOf(jwk);
    return cert === undefined ? [] : [certificatePem(cert)];
  });
  return { signing: { kid: current.kid, privateKeyPem, certificatePem: certificatePem(der) }, published };
}

function certificateOf(jwk: PrivateJwk): string | undefined {
  const der = Array.isArray(jwk.x5c) ? (jwk.x5c[0] as unknown) : undefined;
  return typeof der === 'string' ? der : undefined;
}
