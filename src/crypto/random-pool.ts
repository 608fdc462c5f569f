import { randomFillSync } from 'node:crypto';

/** Random bytes drawn from the system's CSPRNG at once (one call for many ids instead of one each). */
const pool = Buffer.alloc(4096);
let used = pool.length;

/**
 * `bytes` fresh random bytes (at most 256) as hex, from a pool filled by the CSPRNG: no byte is
 * handed out twice, and the pool is refilled when spent. As unpredictable as `randomBytes`, for
 * a fraction of its cost per call (each of which asks the system for entropy).
 */
export function randomHex(bytes: number): string {
  if (bytes > 256 || bytes < 1) throw new RangeError(`randomHex: ${bytes} bytes`);
  if (used + bytes > pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  const hex = pool.toString('hex', used, used + bytes);
  used += bytes;
  return hex;
}
