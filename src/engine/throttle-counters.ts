import type { Config } from '../config/load.js';
import type { User } from '../store/repositories/users.js';
import type { Throttle, ThrottleRule } from './throttle.js';
import { addressSpellings, throttleKeys } from './throttle-keys.js';

/** One throttle counter an administrator can look at or clear. */
export interface ThrottleCounter {
  /** What it counts: failed passwords of a user, failed second factors of a user, or failures from an address. */
  kind: 'password' | 'second-factor' | 'address';
  key: string;
  rule: ThrottleRule;
}

/** A counter that holds failures that still count. */
export interface ThrottledCounter extends ThrottleCounter {
  failures: number;
  /** Until when attempts are refused (epoch ms), or null while they are still allowed. */
  refusedUntil: number | null;
}

type Limits = Pick<Config, 'loginThrottle' | 'mfa'>;

/**
 * The counters that can refuse a user's sign-in: their password counted under the user name,
 * the directory account and the AD userPrincipalName they may type, and their second factor.
 * `name` is used alone when no such user is stored (a name that was typed but never seen).
 */
export function userCounters(name: string, user: User | undefined, limits: Limits): ThrottleCounter[] {
  const names = new Set([name, ...(user ? [user.username] : [])]);
  const upn = user?.attributes.userPrincipalName;
  if (typeof upn === 'string') names.add(upn.toLowerCase());
  const password = (key: string): ThrottleCounter => ({
    kind: 'password',
    key,
    rule: limits.loginThrottle.perUser,
  });
  return [
    ...[...names].map((n) => password(throttleKeys.userName(n))),
    ...(user?.externalId ? [password(throttleKeys.account(user.externalId))] : []),
    ...(user
      ? [
          {
            kind: 'second-factor' as const,
            key: throttleKeys.secondFactor(user.id),
            rule: { maxFailures: limits.mfa.userMaxFailures, windowSeconds: limits.mfa.userWindowSeconds },
          },
        ]
      : []),
  ];
}

/** The counters of failed passwords from one source address (in each spelling it may be recorded under). */
export function addressCounters(address: string, limits: Limits): ThrottleCounter[] {
  return addressSpellings(address).map((spelling) => ({
    kind: 'address',
    key: throttleKeys.address(spelling),
    rule: limits.loginThrottle.perAddress,
  }));
}

/** The counters that hold failures that still count at `now`. */
export async function throttledCounters(
  throttle: Throttle,
  counters: readonly ThrottleCounter[],
  now: number,
): Promise<ThrottledCounter[]> {
  const found: ThrottledCounter[] = [];
  for (const counter of counters) {
    const state = await throttle.state(counter.key, counter.rule);
    if (!state) continue;
    found.push({
      ...counter,
      failures: state.failures,
      refusedUntil: state.blockedUntil > now ? state.blockedUntil : null,
    });
  }
  return found;
}

/** Clears the counters; returns those that held failures that still counted. */
export async function clearCounters(
  throttle: Throttle,
  counters: readonly ThrottleCounter[],
  now: number,
): Promise<ThrottledCounter[]> {
  const counted = await throttledCounters(throttle, counters, now);
  for (const counter of counters) await throttle.clear(counter.key);
  return counted;
}
