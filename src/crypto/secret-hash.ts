import { createHash } from 'node:crypto';

/**
 * The hash under which a random bearer secret (a session id, a sign-in's browser binding) is
 * stored: SHA-256, hex. The secrets carry 256 random bits, so no key is needed to make the hash
 * irreversible, and a master-key rotation does not end them.
 */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}
