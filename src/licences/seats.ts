import type { Clock } from '../clock.js';
import type { Logger } from '../observability/logger.js';
import type { AuditRepository } from '../store/repositories/audit.js';
import type { SeatAllocation, SeatRequest, SeatsRepository, SeatVia } from '../store/repositories/seats.js';
import { LicenceErrors, seatsFull } from './errors.js';

/** The two seat pools, allocated independently of each other and of user creation. */
export type SeatPool = 'mfa' | 'reset';

/** Every pool, in display order. */
export const SEAT_POOLS: readonly SeatPool[] = ['mfa', 'reset'];

/** Use of one pool; `capacity` null means unlimited (no licence file). */
export interface PoolUsage {
  used: number;
  capacity: number | null;
}

/** What bounds allocation: the licence's counts and whether new allocations are blocked (expired). */
export interface SeatTerms {
  /** Seats the pool may hold; null for unlimited. */
  capacity(pool: SeatPool): number | null;
  /** Why new allocations are refused at `now` (an expired licence past its grace), or undefined. */
  allocationBlocked(now: number): string | undefined;
  /** The licence as the CLI, the log and the admin header show it. */
  summary(now: number): LicenceSummary;
}

/** Where a licence stands at a moment. */
export type LicenceStatus = 'unlimited' | 'valid' | 'expired-grace' | 'expired';

/** The licence as the CLI, the log and the admin header show it. */
export interface LicenceSummary {
  status: LicenceStatus;
  customer: string | null;
  /** Last day of validity, null without a licence. */
  expires: string | null;
  /** In the grace period: the day new allocations stop. */
  blocksFrom: string | null;
}

/** No licence file: every pool unlimited, nothing blocked. */
export const UNLIMITED: SeatTerms = {
  capacity: () => null,
  allocationBlocked: () => undefined,
  summary: () => ({ status: 'unlimited', customer: null, expires: null, blocksFrom: null }),
};

/** What an allocation did. */
export interface AllocationResult {
  /** Users given a seat now. */
  allocated: number;
  /** Users who already held one (left as they were). */
  alreadyHeld: number;
  /** Seats lacking for the users left without one (only a rule's until-full allocation leaves any). */
  missing: number;
  used: number;
  capacity: number | null;
}

/** Share of a pool's capacity at which the log warns (once per crossing). */
export const HIGH_USE = 0.9;

/** What {@link Seats} is built over. */
export interface SeatsDependencies {
  repository: SeatsRepository;
  audit: AuditRepository;
  clock: Clock;
  logger: Logger;
  terms?: SeatTerms;
}

/**
 * Licence seats: who holds an MFA or password-reset seat, allocation by hand, in bulk and by
 * rules under the licence's capacity. The one place that decides; doors, the admin site, the CLI
 * and the sync call it.
 */
export class Seats {
  private readonly terms: SeatTerms;
  private warnedOn: string | undefined;

  constructor(private readonly deps: SeatsDependencies) {
    this.terms = deps.terms ?? UNLIMITED;
  }

  /** Whether the user holds a seat of the pool. */
  holds(userId: string, pool: SeatPool): Promise<boolean> {
    return this.deps.repository.holds(userId, pool);
  }

  /** The pools the user holds a seat of. */
  async heldBy(userId: string): Promise<SeatPool[]> {
    const seats = await this.deps.repository.ofUser(userId);
    return SEAT_POOLS.filter((pool) => seats.some((seat) => seat.pool === pool));
  }

  /**
   * Gives each user a seat of the pool, all or nothing: when they do not all fit, refuses with
   * SEATS_FULL naming the number missing and writes nothing. Users holding one already are left alone.
   */
  async allocate(
    userIds: readonly string[],
    pool: SeatPool,
    actor: string,
    via: SeatVia = 'hand',
  ): Promise<AllocationResult> {
    this.refuseWhenBlocked();
    const capacity = this.terms.capacity(pool);
    const outcome = await this.give(userIds, pool, actor, via, capacity, 'all-or-nothing');
    if (outcome.unknownUsers.length > 0)
      throw LicenceErrors.SEAT_UNKNOWN_USER({
        detail: `unknown user id(s): ${outcome.unknownUsers.slice(0, 5).join(', ')}`,
      });
    if (outcome.missing > 0) throw seatsFull(pool, outcome.missing, capacity ?? 0, outcome.used);
    await this.recordEach('seat.allocated', outcome.allocated, pool, actor, via);
    return this.settle(pool, outcome, capacity);
  }

  /**
   * Gives seats in the order given until the pool is full (a rule at a sync): never refuses,
   * reports how many were left without one. Unknown ids are skipped.
   */
  async allocateUntilFull(
    userIds: readonly string[],
    pool: SeatPool,
    actor: string,
    via: SeatVia,
  ): Promise<AllocationResult> {
    this.warnWhenExpired();
    const capacity = this.terms.capacity(pool);
    const blocked = this.terms.allocationBlocked(this.deps.clock());
    const outcome = await this.give(userIds, pool, actor, via, blocked ? 0 : capacity, 'until-full');
    return this.settle(pool, outcome, capacity);
  }

  /** Takes seats back (users without one are ignored); returns how many were released. */
  async release(userIds: readonly string[], pool: SeatPool, actor: string): Promise<number> {
    const released = await this.deps.repository.release(userIds, pool);
    await this.recordEach('seat.released', released, pool, actor);
    await this.checkUse(pool);
    return released.length;
  }

  /** The licence in force (status, customer, expiry), for the CLI and the admin header. */
  licence(): LicenceSummary {
    return this.terms.summary(this.deps.clock());
  }

  /** Use of every pool, for the admin header, the CLI and the metrics. */
  async usage(): Promise<Record<SeatPool, PoolUsage>> {
    const counts = await this.deps.repository.counts();
    const entries = SEAT_POOLS.map((pool) => [
      pool,
      { used: counts[pool] ?? 0, capacity: this.terms.capacity(pool) },
    ]);
    return Object.fromEntries(entries) as Record<SeatPool, PoolUsage>;
  }

  /**
   * Warns in the log when a pool crosses {@link HIGH_USE} of its capacity: the flag is kept in
   * the store, so the warning is given once per crossing whichever worker sees it.
   */
  async checkUse(pool: SeatPool): Promise<void> {
    const { used, capacity } = (await this.usage())[pool];
    const high = capacity !== null && used >= HIGH_USE * capacity;
    if ((await this.deps.repository.markHighUse(pool, high)) && high) {
      const percent = capacity === 0 ? 100 : Math.round((used / capacity) * 100);
      this.deps.logger.warn(
        { pool, used, capacity },
        `licence: the ${pool} seat pool is at ${percent} % of its capacity`,
      );
    }
  }

  /**
   * Logs the licence's expiry while it is in its grace period (at most once a day per process)
   * and refuses new allocations once the grace period is over.
   */
  private refuseWhenBlocked(): void {
    this.warnWhenExpired();
    const blocked = this.terms.allocationBlocked(this.deps.clock());
    if (blocked) throw LicenceErrors.LICENCE_EXPIRED({ detail: blocked });
  }

  /** Warns in the log while the licence is expired but still in its grace period; once a day per process. */
  warnWhenExpired(): void {
    const summary = this.licence();
    const today = new Date(this.deps.clock()).toISOString().slice(0, 10);
    if (summary.status !== 'expired-grace' || this.warnedOn === today) return;
    this.warnedOn = today;
    this.deps.logger.warn(
      { expires: summary.expires, blocksFrom: summary.blocksFrom },
      `licence: expired on ${summary.expires}; new seats can be allocated until ${summary.blocksFrom}, then only existing seats stay`,
    );
  }

  /** Asks the store for seats now, the one allocation both ways of allocating make. */
  private give(
    userIds: readonly string[],
    pool: SeatPool,
    actor: string,
    via: SeatVia,
    capacity: number | null,
    mode: SeatRequest['mode'],
  ): Promise<SeatAllocation> {
    return this.deps.repository.allocate({
      userIds,
      pool,
      by: actor,
      via,
      now: this.deps.clock(),
      capacity,
      mode,
    });
  }

  private async settle(
    pool: SeatPool,
    outcome: SeatAllocation,
    capacity: number | null,
  ): Promise<AllocationResult> {
    if (outcome.allocated.length > 0) await this.checkUse(pool);
    return {
      allocated: outcome.allocated.length,
      alreadyHeld: outcome.alreadyHeld,
      missing: outcome.missing,
      used: outcome.used,
      capacity,
    };
  }

  private async recordEach(
    type: string,
    userIds: readonly string[],
    pool: SeatPool,
    actor: string,
    via?: SeatVia,
  ) {
    for (const userId of userIds)
      await this.deps.audit.record({
        type,
        outcome: 'success',
        userId,
        details: { pool, by: actor, ...(via ? { via } : {}) },
      });
  }
}
