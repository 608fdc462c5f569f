import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { cookieSigner } from '../../src/doors/oidc/cookie-signer.js';

/** keygrip's signature, as its source computes it: HMAC-SHA1 keyed by the key text, base64 made URL-safe. */
function keygripSignature(keyText: string, data: string): string {
  return createHmac('sha1', keyText)
    .update(data)
    .digest('base64')
    .replace(/\/|\+|=/g, (x) => ({ '/': '_', '+': '-', '=': '' })[x]!);
}

describe('the signer of the OIDC cookies', () => {
  const newest = randomBytes(32);
  const older = randomBytes(32);
  const signer = cookieSigner([newest, older]);
  const data = '_session=8Hq3xk2YfWkq0Z1uYqIhZ';

  it('signs as keygrip did with the same keys, with the newest key', () => {
    expect(signer.sign(data)).toBe(keygripSignature(newest.toString('base64'), data));
    expect(signer.sign(data)).not.toBe(keygripSignature(older.toString('base64'), data));
  });

  it('accepts a signature of any of its keys and says which', () => {
    expect(signer.index(data, keygripSignature(newest.toString('base64'), data))).toBe(0);
    expect(signer.index(data, keygripSignature(older.toString('base64'), data))).toBe(1);
    expect(signer.verify(data, signer.sign(data))).toBe(true);
  });

  it('rejects another value, another key, a truncated or empty signature', () => {
    const signature = signer.sign(data);
    expect(signer.verify(`${data}x`, signature)).toBe(false);
    expect(signer.index(data, keygripSignature(randomBytes(32).toString('base64'), data))).toBe(-1);
    expect(signer.index(data, signature.slice(0, -1))).toBe(-1);
    expect(signer.index(data, `${signature}A`)).toBe(-1);
    expect(signer.index(data, '')).toBe(-1);
  });
});
