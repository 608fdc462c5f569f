import { randomHex } from '../crypto/random-pool.js';

/**
 * A unique id that sorts by creation time (like UUIDv7 or ULID): 10 characters of milliseconds
 * in base 36, then 16 random hex digits. Appending to a B-tree index is far cheaper than
 * inserting at random places, and records of the same millisecond still get a stable order.
 */
export function timeOrderedId(now: number): string {
  return `${now.toString(36).padStart(10, '0')}${randomHex(8)}`;
}
