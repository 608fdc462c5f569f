import { createHmac, createSecretKey, type KeyObject, timingSafeEqual } from 'node:crypto';

/** What oidc-provider (through Koa's cookies) asks of the signer of its cookies: keygrip's shape. */
export interface CookieSigner {
  sign(data: string): string;
  verify(data: string, digest: string): boolean;
  index(data: string, digest: string): number;
}

/**
 * Signs and checks oidc-provider's cookies exactly as keygrip does with the same keys
 * (HMAC-SHA1 keyed by each key's base64 text, base64url without padding), so cookies signed
 * before stay valid; but a check costs one HMAC per key and a constant-time compare, where
 * keygrip's comparison (tsscmp) adds two more HMACs and 32 random bytes for every signed
 * cookie read. Keys newest first: the first signs, any verifies.
 */
export function cookieSigner(keys: readonly Buffer[]): CookieSigner {
  if (keys.length === 0) throw new Error('cookie signing needs at least one key');
  const hmacKeys: KeyObject[] = keys.map((key) => createSecretKey(Buffer.from(key.toString('base64'))));
  const signWith = (key: KeyObject, data: string) => createHmac('sha1', key).update(data).digest('base64url');
  const index = (data: string, digest: string) => {
    const given = Buffer.from(String(digest));
    for (let i = 0; i < hmacKeys.length; i++) {
      const expected = Buffer.from(signWith(hmacKeys[i]!, data));
      // The length of a SHA-1 signature is public: only equal lengths are compared.
      if (expected.length === given.length && timingSafeEqual(expected, given)) return i;
    }
    return -1;
  };
  return {
    sign: (data) => signWith(hmacKeys[0]!, data),
    verify: (data, digest) => index(data, digest) > -1,
    index,
  };
}
