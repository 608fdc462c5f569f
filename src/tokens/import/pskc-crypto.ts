import { createDecipheriv, createHmac, timingSafeEqual } from 'node:crypto';
import { ImportErrors } from './errors.js';

/** Block ciphers of RFC 6030 section 6.1 (XML Encryption identifiers): the IV precedes the ciphertext. */
const CIPHERS: Record<string, { name: string; keyBytes: number }> = {
  'http://www.w3.org/2001/04/xmlenc#aes128-cbc': { name: 'aes-128-cbc', keyBytes: 16 },
  'http://www.w3.org/2001/04/xmlenc#aes192-cbc': { name: 'aes-192-cbc', keyBytes: 24 },
  'http://www.w3.org/2001/04/xmlenc#aes256-cbc': { name: 'aes-256-cbc', keyBytes: 32 },
};

/** MAC algorithms of a PSKC MACMethod (XML Signature identifiers). */
const MACS: Record<string, string> = {
  'http://www.w3.org/2000/09/xmldsig#hmac-sha1': 'sha1',
  'http://www.w3.org/2001/04/xmldsig-more#hmac-sha224': 'sha224',
  'http://www.w3.org/2001/04/xmldsig-more#hmac-sha256': 'sha256',
  'http://www.w3.org/2001/04/xmldsig-more#hmac-sha384': 'sha384',
  'http://www.w3.org/2001/04/xmldsig-more#hmac-sha512': 'sha512',
};

const BLOCK = 16;

/** The Node hash name of a MACMethod algorithm, or undefined when it is not supported. */
export function macHash(algorithm: string | null | undefined): string | undefined {
  return algorithm ? MACS[algorithm] : undefined;
}

/**
 * Decrypts an EncryptedValue or MACKey: AES-CBC with the IV prepended and PKCS#7 padding.
 * Call it only after the value's MAC has been checked, so a tampered value never reaches the cipher.
 */
export function decryptCbc(algorithm: string | null | undefined, key: Buffer, data: Buffer): Buffer {
  const cipher = algorithm ? CIPHERS[algorithm] : undefined;
  if (!cipher) {
    throw ImportErrors.IMPORT_INVALID_FILE({
      detail: `encryption algorithm ${algorithm ?? '(none)'} is not supported (aes128-cbc, aes192-cbc or aes256-cbc)`,
    });
  }
  if (key.length !== cipher.keyBytes) {
    throw ImportErrors.IMPORT_INVALID_KEY({
      detail: `the pre-shared key has ${key.length} bytes; ${cipher.name} needs ${cipher.keyBytes}`,
    });
  }
  if (data.length < 2 * BLOCK || data.length % BLOCK !== 0) {
    throw ImportErrors.IMPORT_INVALID_FILE({ detail: 'the encrypted value is not IV and whole AES blocks' });
  }
  try {
    const decipher = createDecipheriv(cipher.name, key, data.subarray(0, BLOCK));
    return Buffer.concat([decipher.update(data.subarray(BLOCK)), decipher.final()]);
  } catch {
    throw ImportErrors.IMPORT_INVALID_KEY({
      detail: 'the value cannot be decrypted: wrong pre-shared key, or the file was altered',
    });
  }
}

/** True when `mac` is the HMAC of `data` (IV and ciphertext) under `macKey`; compares in constant time. */
export function macMatches(hash: string, macKey: Buffer, data: Buffer, mac: Buffer): boolean {
  const expected = createHmac(hash, macKey).update(data).digest();
  return expected.length === mac.length && timingSafeEqual(expected, mac);
}

/** Reads a pre-shared AES key written in hexadecimal (16, 24 or 32 bytes). */
export function parsePreSharedKey(text: string): Buffer {
  const hex = text.replace(/\s/g, '').replace(/^0x/i, '');
  if (!/^([0-9a-fA-F]{2})+$/.test(hex) || ![16, 24, 32].includes(hex.length / 2)) {
    throw ImportErrors.IMPORT_INVALID_KEY({
      detail: 'the pre-shared key must be 32, 48 or 64 hexadecimal digits (an AES-128, -192 or -256 key)',
    });
  }
  return Buffer.from(hex, 'hex');
}

/** Strict base64 (whitespace allowed): undefined for anything else, where Buffer.from would guess. */
export function fromBase64(text: string | undefined): Buffer | undefined {
  const cleaned = text?.replace(/\s/g, '');
  if (!cleaned || !/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(cleaned)) {
    return undefined;
  }
  return Buffer.from(cleaned, 'base64');
}
