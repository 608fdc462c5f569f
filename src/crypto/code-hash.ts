import { createHmac } from 'node:crypto';

/**
 * Keyed hashes of short one-time codes (sent passcodes, backup codes). A plain hash of a
 * 7-digit code is reversed by trying them all; an HMAC under a key derived from the master key
 * is not. Several keys (current first) keep codes valid across a master-key change.
 */
export interface CodeHasher {
  /** Hash with the current key, for storing. */
  hash(code: string): string;
  /** Hashes under every key, for looking a code up. */
  candidates(code: string): string[];
}

/** Builds a hasher from derived keys, newest first. */
export function createCodeHasher(keys: readonly Buffer[]): CodeHasher {
  const digest = (key: Buffer, code: string) => createHmac('sha256', key).update(code).digest('base64url');
  return {
    hash: (code) => digest(keys[0]!, code),
    candidates: (code) => keys.map((key) => digest(key, code)),
  };
}
