import { randomFillSync } from 'node:crypto';

/** Random bytes drawn from the system's CSPRNG at once, for 512 ids (one call instead of 512). */
const pool = Buffer.alloc(4096);
let used = pool.length;

/** Eight fresh random bytes as hex, from the pool (refilled when spent; no byte is handed out twice). */
function randomHex8(): string {
  if (used + 8 > pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  const hex = pool.toString('hex', used, used + 8);
  used += 8;
  return hex;
}

/**
 * A unique id that sorts by creation time (like UUIDv7 or ULID): 10 characters of milliseconds
 * in base 36, then 16 random hex digits. Appending to a B-tree index is far cheaper than
 * inserting at random places, and records of the same millisecond still get a stable order.
 */
export function timeOrderedId(now: number): string {
  return `${now.toString(36).padStart(10, '0')}${randomHex8()}`;
}
