import type { Element } from '@xmldom/xmldom';
import { decryptCbc, fromBase64, macHash, macMatches } from './pskc-crypto.js';
import { child, textOf } from './xml.js';

/** The PSKC namespace of RFC 6030. */
export const PSKC_NS = 'urn:ietf:params:xml:ns:keyprov:pskc';
/** XML Encryption, for EncryptionMethod and CipherData. */
export const XENC_NS = 'http://www.w3.org/2001/04/xmlenc#';
/** XML Signature, for KeyName and X509Data. */
export const DS_NS = 'http://www.w3.org/2000/09/xmldsig#';

/** The keys of a pre-shared-key encrypted container (RFC 6030 section 6.1), once unwrapped. */
export interface PskcKeys {
  key: Buffer;
  macKey: Buffer;
  macHash: string;
}

/**
 * The bytes of an xenc EncryptedDataType element (EncryptedValue, MACKey), decrypted; `mac`, when
 * given, is checked over IV and ciphertext before anything is decrypted.
 */
export function decryptElement(
  encrypted: Element,
  key: Buffer,
  mac?: { key: Buffer; hash: string; value: Buffer },
): Buffer {
  const method = child(encrypted, 'EncryptionMethod', XENC_NS)?.getAttribute('Algorithm');
  const data = fromBase64(textOf(child(child(encrypted, 'CipherData', XENC_NS), 'CipherValue', XENC_NS)));
  if (!data) throw new Error('no CipherData/CipherValue in base64');
  if (mac && !macMatches(mac.hash, mac.key, data, mac.value)) {
    throw new Error('ValueMAC does not match: wrong pre-shared key, or the file was altered');
  }
  return decryptCbc(method, key, data);
}

/**
 * Reads the binary value of a Data child (Secret): PlainValue in base64, or EncryptedValue with
 * its ValueMAC. Records a problem and returns undefined when it cannot.
 */
export function readBinary(
  element: Element | undefined,
  name: string,
  keys: PskcKeys | undefined,
  problems: string[],
): Buffer | undefined {
  if (!element) return undefined;
  const plain = child(element, 'PlainValue', PSKC_NS);
  if (plain) {
    const bytes = fromBase64(textOf(plain));
    if (!bytes) problems.push(`${name}: PlainValue is not base64`);
    return bytes;
  }
  const encrypted = child(element, 'EncryptedValue', PSKC_NS);
  if (!encrypted) {
    problems.push(`${name}: neither PlainValue nor EncryptedValue`);
    return undefined;
  }
  if (!keys) {
    problems.push(`${name}: encrypted, and the file gives no usable pre-shared key`);
    return undefined;
  }
  const mac = fromBase64(textOf(child(element, 'ValueMAC', PSKC_NS)));
  if (!mac) {
    problems.push(`${name}: encrypted without a ValueMAC (RFC 6030 section 6.1.1 requires one)`);
    return undefined;
  }
  try {
    return decryptElement(encrypted, keys.key, { key: keys.macKey, hash: keys.macHash, value: mac });
  } catch (error) {
    problems.push(`${name}: ${(error as Error).message}`);
    return undefined;
  }
}

/** Reads an integer Data child (Counter, Time, TimeInterval); encrypted integers are big-endian bytes. */
export function readInteger(
  element: Element | undefined,
  name: string,
  keys: PskcKeys | undefined,
  problems: string[],
): number | undefined {
  if (!element) return undefined;
  const plain = child(element, 'PlainValue', PSKC_NS);
  if (plain) {
    const text = textOf(plain) ?? '';
    const value = /^\d{1,15}$/.test(text) ? Number(text) : undefined;
    if (value === undefined) problems.push(`${name}: PlainValue is not a whole number from 0`);
    return value;
  }
  const bytes = readBinary(element, name, keys, problems);
  if (!bytes) return undefined;
  const value = bytes.length > 0 && bytes.length <= 6 ? bytes.readUIntBE(0, bytes.length) : undefined;
  if (value === undefined) problems.push(`${name}: the decrypted value is not an integer of at most 6 bytes`);
  return value;
}

/** Unwraps the keys of an encrypted container, or says why it cannot; never includes key material. */
export function unwrapKeys(root: Element, psk: Buffer): PskcKeys | string {
  const method = child(root, 'MACMethod', PSKC_NS);
  if (!method) return 'the values are encrypted but there is no MACMethod to check them; refused';
  const algorithm = method.getAttribute('Algorithm');
  const hash = macHash(algorithm);
  if (!hash)
    return `MACMethod ${algorithm ?? '(no Algorithm)'} is not supported (hmac-sha1, hmac-sha256 and similar)`;
  const wrapped = child(method, 'MACKey', PSKC_NS);
  if (!wrapped) return 'MACMethod has no MACKey (a MACKeyReference is not supported)';
  try {
    const macKey = decryptElement(wrapped, psk);
    if (macKey.length === 0) return 'MACMethod: the MACKey is empty';
    return { key: psk, macKey, macHash: hash };
  } catch (error) {
    return `MACMethod/MACKey: ${(error as Error).message}`;
  }
}
