import type { Clock } from '../clock.js';
import type { ThrottleRepository, ThrottleRule, ThrottleState } from '../store/repositories/throttle.js';

/** Re-exported for the engine's callers: the rule itself belongs to the throttle counters in the store. */
export type { ThrottleRule };

/** One counter to charge: its key and its rule. */
export interface ThrottleCharge {
  key: string;
  rule: ThrottleRule;
}

/** Result of reserving an attempt. */
export type Reservation =
  | { allowed: true }
  | {
      allowed: false;
      retryAfterSeconds: number;
      /**
       * Keys of the counters this very attempt was the first to be refused by in their window
       * (absent when none): the caller logs a block once, not at every refused attempt.
       */
      firstRefusals?: string[];
    };

/**
 * Attempt throttling that holds across sessions and server processes. An attempt is charged
 * *before* it is made (reserve), so concurrent attempts cannot overrun the limit; a success then
 * gives the charge back (refund) or clears the counter (clear).
 */
export class Throttle {
  constructor(
    private readonly repository: ThrottleRepository,
    private readonly clock: Clock,
  ) {}

  /** Charges one attempt to every counter; refused when any counter is over its limit. */
  async reserve(charges: readonly ThrottleCharge[]): Promise<Reservation> {
    const now = this.clock();
    let retryAfterMs = 0;
    const firstRefusals: string[] = [];
    for (const { key, rule } of charges) {
      const windowMs = rule.windowSeconds * 1000;
      const count = await this.repository.increment(key, now, windowMs, rule.sliding, rule.maxFailures);
      if (count.failures > rule.maxFailures) {
        retryAfterMs = Math.max(retryAfterMs, count.windowStart + windowMs - now);
        // Each increment returns its own count, so exactly one attempt per window sees this one.
        if (count.failures === rule.maxFailures + 1) firstRefusals.push(key);
      }
    }
    if (retryAfterMs <= 0) return { allowed: true };
    return {
      allowed: false,
      retryAfterSeconds: Math.ceil(retryAfterMs / 1000),
      ...(firstRefusals.length > 0 ? { firstRefusals } : {}),
    };
  }

  /**
   * Checks a counter without charging it (for limits where a concurrent overrun by a few
   * attempts is harmless and the success path should not write): failures recorded with
   * {@link fail} inside the window count.
   */
  async check(key: string, rule: ThrottleRule): Promise<Reservation & { failures: number }> {
    const now = this.clock();
    const windowMs = rule.windowSeconds * 1000;
    const count = await this.repository.get(key);
    if (!count || count.windowStart + windowMs <= now) return { allowed: true, failures: 0 };
    if (count.failures < rule.maxFailures) return { allowed: true, failures: count.failures };
    return {
      allowed: false,
      failures: count.failures,
      retryAfterSeconds: Math.ceil((count.windowStart + windowMs - now) / 1000),
    };
  }

  /** Records one failure on a counter checked with {@link check}. */
  async fail(key: string, rule: ThrottleRule): Promise<void> {
    await this.repository.increment(key, this.clock(), rule.windowSeconds * 1000, false, rule.maxFailures);
  }

  /** Gives back the charge of an attempt that succeeded (or could not be made). */
  async refund(key: string, rule?: ThrottleRule): Promise<void> {
    await this.repository.decrement(key, rule?.maxFailures);
  }

  /** Forgets every failure of a counter; tells whether it had any. */
  async clear(key: string): Promise<boolean> {
    return this.repository.reset(key);
  }

  /**
   * A counter as an administrator sees it, or undefined when it holds nothing that still
   * counts at `now`: failures inside its window (`rule` gives the window), or a block.
   */
  async state(key: string, rule: ThrottleRule): Promise<ThrottleState | undefined> {
    const now = this.clock();
    const found = await this.repository.get(key);
    if (!found) return undefined;
    const counting = found.windowStart + rule.windowSeconds * 1000 > now || found.blockedUntil > now;
    return counting && found.failures > 0 ? found : undefined;
  }
}
