import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';

/** A key pair as key objects, and the private key's PKCS#8 PEM. */
export interface TestKeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
  privatePem: string;
  publicPem: string;
}

/**
 * A new key pair generated straight as PEM, its key objects made from that: exporting the key
 * objects generateKeyPairSync returns can deadlock Node 20 for good (see generateJwkPair in
 * src/keys/signing-keys.ts), which would hang the test run.
 */
export function newKeyPair(type: 'rsa' | 'ed25519'): TestKeyPair {
  const publicKeyEncoding = { type: 'spki', format: 'pem' } as const;
  const privateKeyEncoding = { type: 'pkcs8', format: 'pem' } as const;
  const { privateKey, publicKey } =
    type === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding, privateKeyEncoding })
      : generateKeyPairSync('ed25519', { publicKeyEncoding, privateKeyEncoding });
  return {
    privateKey: createPrivateKey(privateKey),
    publicKey: createPublicKey(publicKey),
    privatePem: privateKey,
    publicPem: publicKey,
  };
}
