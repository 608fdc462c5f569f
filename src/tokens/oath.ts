import { NodeCryptoPlugin } from '@otplib/plugin-crypto-node';
import { generateSync, verifySync } from 'otplib';

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

/** Node's OpenSSL HMAC, far faster than otplib's pure-JS default. */
const crypto = new NodeCryptoPlugin();
const otplibAlgorithm = (a: OathAlgorithm) => a.toLowerCase() as 'sha1' | 'sha256' | 'sha512';

/** True when `code` has the token's length and only digits (otplib throws otherwise). */
export function isWellFormed(code: string, digits: number): boolean {
  return code.length === digits && /^\d+$/.test(code);
}

/** The HOTP code (RFC 4226) for a counter value. */
export function hotpCode(secret: Uint8Array, counter: number, params: OathParams): string {
  return generateSync({
    strategy: 'hotp',
    secret,
    counter,
    algorithm: otplibAlgorithm(params.algorithm),
    digits: params.digits,
    crypto,
  });
}

/** The TOTP code (RFC 6238) of a time step. */
export function totpCode(secret: Uint8Array, step: number, period: number, params: OathParams): string {
  return generateSync({
    strategy: 'totp',
    secret,
    epoch: step * period,
    period,
    algorithm: otplibAlgorithm(params.algorithm),
    digits: params.digits,
    crypto,
  });
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
  const result = verifySync({
    strategy: 'hotp',
    secret,
    token: code,
    counter,
    counterTolerance: [0, window],
    algorithm: otplibAlgorithm(params.algorithm),
    digits: params.digits,
    crypto,
  });
  return result.valid ? counter + result.delta : undefined;
}

/** The time step `code` belongs to, within ±`window` steps of `expectedStep`; constant-time compares. */
export function matchTotp(
  secret: Uint8Array,
  code: string,
  expectedStep: number,
  window: number,
  period: number,
  params: OathParams,
): number | undefined {
  if (!isWellFormed(code, params.digits) || expectedStep < 0) return undefined;
  const result = verifySync({
    strategy: 'totp',
    secret,
    token: code,
    epoch: expectedStep * period,
    period,
    epochTolerance: [window * period, window * period],
    algorithm: otplibAlgorithm(params.algorithm),
    digits: params.digits,
    crypto,
  });
  return result.valid ? (result as { timeStep: number }).timeStep : undefined;
}
