import { type KeyObject, randomBytes, webcrypto } from 'node:crypto';
import type { Certify } from './signing-keys.js';

type X509 = typeof import('@peculiar/x509');

const RSA_SHA256 = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;

/** What a self-signed certificate says about its key. */
export interface CertificateSubject {
  /** Subject and issuer CN: the public host name of Passgate. */
  commonName: string;
  validityYears: number;
  /** Start of validity, epoch milliseconds. */
  now: number;
}

/**
 * A {@link Certify} that makes a self-signed RSA-SHA256 certificate: SAML peers pin the key by
 * its certificate, and nothing but the key inside it matters to them, so no CA is involved.
 */
export function selfSignedCertifier(subject: () => CertificateSubject): Certify {
  return async ({ privateKey, publicKey }) => {
    const { commonName, validityYears, now } = subject();
    const x509 = await loadX509();
    const subtle = webcrypto.subtle;
    const keys = {
      privateKey: await subtle.importKey('jwk', jwkOf(privateKey), RSA_SHA256, false, ['sign']),
      publicKey: await subtle.importKey('jwk', jwkOf(publicKey), RSA_SHA256, true, ['verify']),
    };
    const notBefore = new Date(now - 60_000);
    const notAfter = new Date(now);
    notAfter.setUTCFullYear(notAfter.getUTCFullYear() + validityYears);
    const name = new x509.Name([{ CN: [commonName] }]).toString();
    // A positive serial number of 16 random bytes (RFC 5280 section 4.1.2.2).
    const serial = randomBytes(16);
    serial[0]! &= 0x7f;
    const certificate = await x509.X509CertificateGenerator.createSelfSigned(
      {
        serialNumber: serial.toString('hex'),
        name,
        notBefore,
        notAfter,
        keys,
        signingAlgorithm: RSA_SHA256,
        extensions: [new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true)],
      },
      webcrypto as unknown as Parameters<X509['X509CertificateGenerator']['createSelfSigned']>[1],
    );
    return Buffer.from(certificate.rawData).toString('base64');
  };
}

/** PEM text of a base64 DER certificate (the JWK `x5c` form). */
export function certificatePem(base64Der: string): string {
  const lines = base64Der.match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

/**
 * @peculiar/x509 (with tsyringe and its Reflect metadata API, about a sixth of the start-up's
 * module evaluation), loaded when a certificate is made rather than by every start.
 */
async function loadX509(): Promise<X509> {
  await import('reflect-metadata');
  // The package is CommonJS to the bundle (its exports are `default` there), ESM to Node.js.
  const loaded = (await import('@peculiar/x509')) as X509 & { default?: X509 };
  return loaded.default ?? loaded;
}

function jwkOf(key: KeyObject): webcrypto.JsonWebKey {
  return key.export({ format: 'jwk' }) as webcrypto.JsonWebKey;
}
