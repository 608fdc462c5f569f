// A throw-away vendor for the licence tests: an Ed25519 key pair and licence files signed with it.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type LicenceContent, signLicence } from '../../src/licences/licence-file.js';
import { newKeyPair } from '../support/key-pairs.js';

/** A vendor key pair: the private key in PEM, the public key in PEM and as 32 raw bytes in base64. */
export function vendorKeys() {
  const { publicKey, privatePem, publicPem } = newKeyPair('ed25519');
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x as string, 'base64url');
  return {
    privatePem: privatePem,
    publicPem: publicPem,
    publicBase64: raw.toString('base64'),
  };
}

/** Licence content for Example Ltd with the given counts and expiry. */
export function content(overrides: Partial<LicenceContent> = {}): LicenceContent {
  return { customer: 'Example Ltd', pools: { mfa: 10, reset: 5 }, expires: '2027-06-30', ...overrides };
}

/** Writes a licence file signed with `privatePem` into a fresh folder and returns its path. */
export function licenceFile(
  text: string,
  folder = mkdtempSync(path.join(os.tmpdir(), 'passgate-licence-')),
): string {
  const file = path.join(folder, 'licence.json');
  writeFileSync(file, text);
  return file;
}

/** A signed licence file's path. */
export function signedLicenceFile(privatePem: string, overrides: Partial<LicenceContent> = {}): string {
  return licenceFile(signLicence(content(overrides), privatePem));
}
