import { validateOathSettings } from '../enrol.js';
import { TokenErrors } from '../errors.js';
import type { OathAlgorithm } from '../oath.js';
import { parseSecret } from '../secrets.js';

/** The OATH settings of one imported token, complete and checked. */
export interface OathSettings {
  type: 'hotp' | 'totp';
  secret: Uint8Array;
  algorithm: OathAlgorithm;
  digits: number;
  /** TOTP time step in seconds. */
  period?: number;
  /** HOTP: the next counter value. */
  counter?: number;
  description?: string | null;
}

/**
 * One token as read from an import file, before owners and serials are checked against the
 * store. `settings` is set only when the entry itself had no problem.
 */
export interface ImportEntry {
  /** Where the entry is in the file, for messages: "line 4", "KeyPackage 3 (serial 654321)". */
  where: string;
  serial: string | undefined;
  /** The owner named in the file, if any. */
  username: string | undefined;
  settings: OathSettings | undefined;
  problems: string[];
}

/** A problem that concerns the file as a whole, or one place in it. */
export interface ImportProblem {
  where: string;
  message: string;
}

/** What a reader made of a file: its entries, problems found outside any entry, and what it skipped. */
export interface ImportRead {
  format: 'pskc' | 'csv';
  entries: ImportEntry[];
  problems: ImportProblem[];
  /** Parts of the file that are left out on purpose (a PSKC PIN key), for the administrator to see. */
  notes: ImportProblem[];
}

/** Checks a secret's length with the rule of every enrolment (RFC 4226); the message never shows it. */
export function checkSecret(secret: Uint8Array, problems: string[]): void {
  try {
    parseSecret(Buffer.from(secret).toString('hex'), 'hex');
  } catch (error) {
    problems.push(reason(error));
  }
}

/** Checks whichever OATH settings are known with the rules of enrolment (algorithm, digits, period, counter). */
export function checkSettings(
  settings: { algorithm?: string; digits?: number; period?: number; counter?: number },
  problems: string[],
): void {
  try {
    validateOathSettings(settings);
  } catch (error) {
    problems.push(reason(error));
  }
}

/** The detail of a token error (never a secret), or the error itself when it is not one. */
export function reason(error: unknown): string {
  if (TokenErrors.is(error)) return error.message;
  throw error;
}

/** "SHA1" from "SHA1", "sha-256", "HMAC-SHA512" and the like; undefined for anything else. */
export function oathAlgorithm(text: string): OathAlgorithm | undefined {
  const name = text
    .trim()
    .toUpperCase()
    .replace(/^HMAC-?/, '')
    .replace('-', '');
  return name === 'SHA1' || name === 'SHA256' || name === 'SHA512' ? name : undefined;
}
