import { createHmac, timingSafeEqual } from 'node:crypto';

/** HMAC algorithms of OATH tokens, as written in otpauth URIs and PSKC files. */
export const OATH_ALGORITHMS = ['SHA1', 'SHA256', 'SHA512'] as const;
export type OathAlgorithm = (typeof OATH_ALGORITHMS)[number];

/** Code lengths OATH tokens produce. */
export const OATH_DIGITS = [6, 7, 8] as const;
export type OathDigits = (typeof OATH_DIGITS)[number];

/** What determines an OATH token's codes besides its secret and moving factor. */
export interface OathParams {
  algorithm: OathAlgorithm;
  digits: OathDigits;
}

/** Node's names of the OATH HMAC algorithms. */
const HMAC_NAMES: Record<OathAlgorithm, string> = { SHA1: 'sha1', SHA256: 'sha256', SHA512: 'sha512' };

/** True when `code` has the token's length and only digits. */
export function isWellFormed(code: string, digits: number): boolean {
  return code.length === digits && /^\d+$/.test(code);
}

/**
 * The code of one moving-factor value (RFC 4226 section 5.3): HMAC of the 8-byte big-endian
 * counter, dynamic truncation, the low `digits` decimal digits. Written directly on Node's
 * OpenSSL HMAC: otplib's option handling cost ten times the HMACs themselves.
 */
function oathCode(secret: Uint8Array, counter: number, params: OathParams): string {
  if (!Number.isSafeInteger(counter) || counter < 0)
    throw new RangeError(`an OATH counter is a non-negative integer, not ${counter}`);
  const message = Buffer.alloc(8);
  message.writeUInt32BE(Math.floor(counter / 2 ** 32), 0);
  message.writeUInt32BE(counter >>> 0, 4);
  const digest = createHmac(HMAC_NAMES[params.algorithm], secret).update(message).digest();
  const offset = digest[digest.length - 1]! & 0x0f;
  const binary = digest.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** params.digits).padStart(params.digits, '0');
}

/** Compares two codes of the same length in constant time. */
function sameCode(expected: string, given: string): boolean {
  return timingSafeEqual(Buffer.from(expected, 'latin1'), Buffer.from(given, 'latin1'));
}

/**
 * The first counter value from `from` to `to` (inclusive, ascending) whose code is `code`,
 * each candidate compared in constant time; `code` must be well formed.
 */
function firstMatch(
  secret: Uint8Array,
  code: string,
  from: number,
  to: number,
  params: OathParams,
): number | undefined {
  for (let counter = from; counter <= to; counter++)
    if (sameCode(oathCode(secret, counter, params), code)) return counter;
  return undefined;
}

/** The HOTP code (RFC 4226) for a counter value. */
export function hotpCode(secret: Uint8Array, counter: number, params: OathParams): string {
  return oathCode(secret, counter, params);
}

/** The TOTP code (RFC 6238) of a time step. */
export function totpCode(secret: Uint8Array, step: number, _period: number, params: OathParams): string {
  return oathCode(secret, step, params);
}

/** The TOTP time step of an instant (epoch milliseconds). */
export function timeStep(nowMs: number, period: number): number {
  return Math.floor(nowMs / 1000 / period);
}

/** The counter value `code` belongs to, looking `window` values ahead of `counter`; constant-time compares. */
export function matchHotp(
  secret: Uint8Array,
  code: string,
  counter: number,
  window: number,
  params: OathParams,
): number | undefined {
  if (!isWellFormed(code, params.digits)) return undefined;
  return firstMatch(secret, code, counter, counter + window, params);
}

/** The time step `code` belongs to, within ±`window` steps of `expectedStep`; constant-time compares. */
export function matchTotp(
  secret: Uint8Array,
  code: string,
  expectedStep: number,
  window: number,
  _period: number,
  params: OathParams,
): number | undefined {
  if (!isWellFormed(code, params.digits) || expectedStep < 0) return undefined;
  return firstMatch(secret, code, Math.max(0, expectedStep - window), expectedStep + window, params);
}
