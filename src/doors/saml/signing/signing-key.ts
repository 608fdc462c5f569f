import { createPrivateKey } from 'node:crypto';
import { type CertificateSubject, certificatePem, selfSignedCertifier } from '../../../keys/certificate.js';
import type { Certify, SigningAlgorithm, SigningKeys } from '../../../keys/signing-keys.js';
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

/** The current SAML signing key; SAML_NO_SIGNING_KEY when there is none or it has no certificate. */
export async function loadSamlKey(keys: SigningKeys): Promise<SamlSigningKey> {
  const current = (await keys.privateJwks(SAML_KEY_PURPOSE)).find((jwk) => jwk.key_ops === undefined);
  const der = Array.isArray(current?.x5c) ? (current.x5c[0] as unknown) : undefined;
  if (!current || typeof der !== 'string') {
    throw SamlErrors.SAML_NO_SIGNING_KEY({ detail: 'no current SAML signing key with a certificate' });
  }
  const privateKeyPem = createPrivateKey({ key: current, format: 'jwk' })
    .export({ format: 'pem', type: 'pkcs8' })
    .toString();
  return { kid: current.kid, privateKeyPem, certificatePem: certificatePem(der) };
}
