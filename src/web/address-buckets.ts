import { isIPv6 } from 'node:net';

/** How fast one address may go: a sustained rate and a burst on top of it. */
export interface BucketRule {
  perMinute: number;
  burst: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Token buckets per client address, in memory, for at most `maxAddresses` addresses: when full,
 * the address seen least recently is forgotten (its next request starts with a full bucket), so
 * that an attacker with many addresses costs a bounded amount of memory and can never make a
 * limit stricter for anyone else.
 */
export class AddressBuckets {
  private readonly buckets = new Map<string, Bucket>();
  private readonly perMs: number;

  constructor(
    private readonly rule: BucketRule,
    private readonly maxAddresses: number,
    private readonly now: () => number = Date.now,
  ) {
    this.perMs = rule.perMinute / 60_000;
  }

  /** Takes one request's token for `address`: 0 when allowed, else the seconds until one is free. */
  take(address: string): number {
    const key = addressKey(address);
    const now = this.now();
    const known = this.buckets.get(key);
    const bucket = known ?? { tokens: this.rule.burst, at: now };
    if (known) {
      // Refill, and move the address to the most recently seen end of the map.
      bucket.tokens = Math.min(this.rule.burst, bucket.tokens + (now - bucket.at) * this.perMs);
      bucket.at = now;
      this.buckets.delete(key);
    } else if (this.buckets.size >= this.maxAddresses) {
      this.buckets.delete(this.buckets.keys().next().value as string);
    }
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.perMs / 1000));
  }

  /** How many addresses are remembered now (never more than `maxAddresses`). */
  get size(): number {
    return this.buckets.size;
  }
}

/**
 * The key an address is counted under: IPv4 as it is (also when IPv4-mapped), IPv6 by its /64,
 * the smallest network one customer is usually given, so that one host cannot pose as 2^64.
 */
export function addressKey(address: string): string {
  if (address.startsWith('::ffff:') && !address.slice(7).includes(':')) return address.slice(7);
  if (!isIPv6(address)) return address;
  const [head = '', tail = ''] = address.split('::', 2) as [string, string?];
  const headGroups = head ? head.split(':') : [];
  const tailGroups = address.includes('::') && tail ? tail.split(':') : [];
  const groups = address.includes('::')
    ? [...headGroups, ...Array(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups]
    : headGroups;
  return `${groups
    .slice(0, 4)
    .map((group) => Number.parseInt(group, 16).toString(16))
    .join(':')}::/64`;
}
