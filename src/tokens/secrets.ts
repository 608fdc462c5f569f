import { randomBytes } from 'node:crypto';
import { ScureBase32Plugin } from 'otplib';
import { TokenErrors } from './errors.js';

const base32 = new ScureBase32Plugin();

/** RFC 4226 asks for at least 128 bits; 64 bytes is the longest HMAC key OATH tokens use. */
const MIN_BYTES = 16;
const MAX_BYTES = 64;

/** A fresh random secret of 20 bytes (160 bits, RFC 4226's recommendation). */
export function generateSecret(): Uint8Array {
  return randomBytes(20);
}

/** Base32 without padding, as authenticator apps expect. */
export function toBase32(secret: Uint8Array): string {
  return base32.encode(secret, { padding: false });
}

/**
 * Reads a secret written in base32 (spaces, dashes and padding ignored, any case) or hex, and
 * checks its length. Raises TOKEN_INVALID_SECRET with a reason that never repeats the secret.
 */
export function parseSecret(text: string, encoding: 'base32' | 'hex' = 'base32'): Uint8Array {
  const cleaned = text.replace(/[\s-]/g, '').replace(/=+$/, '');
  let bytes: Uint8Array;
  if (encoding === 'hex') {
    if (!/^([0-9a-fA-F]{2})+$/.test(cleaned))
      throw TokenErrors.TOKEN_INVALID_SECRET({ detail: 'not hexadecimal' });
    bytes = Buffer.from(cleaned, 'hex');
  } else {
    try {
      bytes = base32.decode(cleaned.toUpperCase());
    } catch {
      throw TokenErrors.TOKEN_INVALID_SECRET({ detail: 'not base32 (letters A-Z and digits 2-7)' });
    }
  }
  if (bytes.length < MIN_BYTES || bytes.length > MAX_BYTES) {
    throw TokenErrors.TOKEN_INVALID_SECRET({
      detail: `the secret has ${bytes.length} bytes; OATH needs ${MIN_BYTES} to ${MAX_BYTES} (RFC 4226)`,
    });
  }
  return bytes;
}

/** A random token id: the type in capitals and 8 hexadecimal digits, e.g. TOTP3F9A01C2. */
export function newTokenId(type: string): string {
  return `${type.toUpperCase()}${randomBytes(4).toString('hex').toUpperCase()}`;
}
