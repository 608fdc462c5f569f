import type { Clock } from '../clock.js';
import { StoreErrors } from '../store/errors.js';
import type { ThrottleRepository, ThrottleRule, ThrottleState } from '../store/repositories/throttle.js';
import type { WriteBatch } from '../store/write-batch.js';

/** Re-exported for the engine's callers: the rule itself belongs to the throttle counters in the store. */
export type { ThrottleRule };

/** One counter to charge: its key and its rule. */
export interface ThrottleCharge {
  key: string;
  rule: ThrottleRule;
}

/** What becomes of a reserved attempt's counters once it is known how it went. */
export interface Settlement {
  /** Counters whose failures are forgotten (the user's, after the right password). */
  cleared?: readonly string[];
  /** Counters that get the attempt's charge back. */
  refunded?: readonly string[];
}

/** First wait before a settlement the store refused is tried again; it doubles up to the maximum. */
const RETRY_FIRST_MS = 250;
const RETRY_MAX_MS = 5_000;
/** Settlements kept at most while the store is away (the oldest go first beyond it). */
const MAX_UNSETTLED = 10_000;

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

  /**
   * Charges one attempt to every counter (one statement); refused when any counter is over its
   * limit. Settlements the store could not take are written first.
   */
  async reserve(charges: readonly ThrottleCharge[]): Promise<Reservation> {
    if (this.unsettled.length > 0) await this.retryUnsettled();
    const now = this.clock();
    const distinct = new Set(charges.map((c) => c.key)).size === charges.length;
    const counts = distinct
      ? await this.repository.incrementMany(charges, now)
      : await this.incrementEach(charges, now);
    let retryAfterMs = 0;
    const firstRefusals: string[] = [];
    charges.forEach(({ key, rule }, i) => {
      const count = counts[i]!;
      const windowMs = rule.windowSeconds * 1000;
      if (count.failures > rule.maxFailures) {
        retryAfterMs = Math.max(retryAfterMs, count.windowStart + windowMs - now);
        // Each increment returns its own count, so exactly one attempt per window sees this one.
        if (count.failures === rule.maxFailures + 1) firstRefusals.push(key);
      }
    });
    if (retryAfterMs <= 0) return { allowed: true };
    return {
      allowed: false,
      retryAfterSeconds: Math.ceil(retryAfterMs / 1000),
      ...(firstRefusals.length > 0 ? { firstRefusals } : {}),
    };
  }

  /** Charges counters one by one (a key named twice is charged twice). */
  private async incrementEach(charges: readonly ThrottleCharge[], now: number) {
    const counts = [];
    for (const { key, rule } of charges)
      counts.push(
        await this.repository.increment(key, now, rule.windowSeconds * 1000, rule.sliding, rule.maxFailures),
      );
    return counts;
  }

  /**
   * Settles a reserved attempt in one statement: `cleared` counters forget their failures (a
   * success), `refunded` ones get the charge back (a success, or an attempt that could not be
   * made). When the store is unreachable the settlement is kept and written when it is back
   * (retried on a timer and before the next reservation), so an outage never counts as failures.
   */
  async settle(settlement: Settlement): Promise<void> {
    try {
      await this.repository.settle(settlement.cleared ?? [], settlement.refunded ?? []);
    } catch (error) {
      if (!StoreErrors.is(error, 'DB_UNREACHABLE')) throw error;
      this.keepUnsettled(settlement);
    }
  }

  /**
   * {@link settle} as a write of an operation's batch, committed with the operation's other
   * writes before it answers (one commit less); when the batch cannot be stored because the
   * store is unreachable, the settlement is kept and written when it is back, as `settle` does.
   */
  settleIn(batch: WriteBatch, settlement: Settlement): void {
    this.repository.settleIn(batch, settlement.cleared ?? [], settlement.refunded ?? []);
    batch.onFailure((error) => {
      if (StoreErrors.is(error, 'DB_UNREACHABLE')) this.keepUnsettled(settlement);
    });
  }

  /** Settlements waiting for the store, oldest first. */
  private unsettled: Settlement[] = [];
  private retryTimer: NodeJS.Timeout | undefined;
  private retryDelayMs = RETRY_FIRST_MS;

  private keepUnsettled(settlement: Settlement): void {
    if (this.unsettled.length >= MAX_UNSETTLED) this.unsettled.shift();
    this.unsettled.push(settlement);
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.retryUnsettled().then(() => {
        if (this.unsettled.length === 0) return;
        this.retryDelayMs = Math.min(this.retryDelayMs * 2, RETRY_MAX_MS);
        this.scheduleRetry();
      });
    }, this.retryDelayMs);
    this.retryTimer.unref();
  }

  /** Writes the kept settlements in order, one run at a time; stops at the first the store still refuses. */
  private retryUnsettled(): Promise<void> {
    this.retrying ??= (async () => {
      try {
        while (this.unsettled.length > 0) {
          const next = this.unsettled[0]!;
          await this.repository.settle(next.cleared ?? [], next.refunded ?? []);
          this.unsettled.shift();
        }
        this.retryDelayMs = RETRY_FIRST_MS;
      } catch {
        // Still away: the timer tries again.
      } finally {
        this.retrying = undefined;
      }
    })();
    return this.retrying;
  }

  private retrying: Promise<void> | undefined;

  /** Settlements kept for the store's return (diagnostics, tests). */
  get pendingSettlements(): number {
    return this.unsettled.length;
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

  /**
   * Whether an attempt that succeeds without being made (a password a cache remembers, no
   * directory asked) finds the counters as {@link reserve} then {@link settle} would leave them:
   * neither of the two refuses it, and the user's (which a success clears) holds no failure
   * inside its window. One read, no write; settlements still waiting for the store say no.
   */
  async untouched(user: ThrottleCharge, address: ThrottleCharge): Promise<boolean> {
    if (this.unsettled.length > 0) return false;
    const now = this.clock();
    const counts = await this.repository.getPair(user.key, address.key);
    const counting = (charge: ThrottleCharge) => {
      const count = counts.get(charge.key);
      return count && count.windowStart + charge.rule.windowSeconds * 1000 > now ? count.failures : 0;
    };
    return counting(user) === 0 && counting(address) < address.rule.maxFailures;
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
