import type { LicencesConfig } from '../config/licences-schema.js';
import type { SeatRulesOutcome } from '../directory/ad/sync.js';
import type { Logger } from '../observability/logger.js';
import type { AuditRepository } from '../store/repositories/audit.js';
import type { SeatsRepository } from '../store/repositories/seats.js';
import { SEAT_POOLS, type Seats } from './seats.js';

/** Who a rule's seats are given by, in `seats.allocated_by` and the audit log. */
export const RULE_ACTOR = 'rule';

/**
 * The seat rules of `licences.rules` (members of a group get a seat of a pool), applied after
 * every AD sync: idempotent, giving seats oldest users first while the pool has some, taking
 * back only seats a rule gave to users it no longer matches (left the group, disabled, removed),
 * never a seat given by hand or at import.
 */
export class SeatRules {
  constructor(
    private readonly seats: Seats,
    private readonly repository: SeatsRepository,
    private readonly rules: LicencesConfig['rules'],
    private readonly audit: AuditRepository,
    private readonly logger: Logger,
  ) {}

  /** Applies every rule; one outcome per pool that has rules. */
  async apply(): Promise<SeatRulesOutcome[]> {
    const pools = SEAT_POOLS.filter((pool) => this.rules.some((rule) => rule.pool === pool));
    if (pools.length === 0) return [];
    const candidates = await this.repository.ruleCandidates();
    const outcomes: SeatRulesOutcome[] = [];
    for (const pool of pools) {
      const groups = new Set(this.rules.filter((r) => r.pool === pool).map((r) => r.group.toLowerCase()));
      const members = candidates
        .filter((user) => user.groups.some((group) => groups.has(group.toLowerCase())))
        .map((user) => user.id);
      // Seats of former members go back first, so that new members can have them.
      const memberSet = new Set(members);
      const stale = (await this.repository.holdersVia(pool, 'rule')).filter((id) => !memberSet.has(id));
      const released = stale.length > 0 ? await this.seats.release(stale, pool, RULE_ACTOR) : 0;
      const given = await this.seats.allocateUntilFull(members, pool, RULE_ACTOR, 'rule');
      const outcome = {
        pool,
        members: members.length,
        allocated: given.allocated,
        released,
        withoutSeat: given.missing,
      };
      if (outcome.withoutSeat > 0)
        this.logger.warn(
          { ...outcome, capacity: given.capacity },
          `licence: ${outcome.withoutSeat} member(s) of the ${pool} seat rules are left without a seat: the pool is full`,
        );
      outcomes.push(outcome);
    }
    if (outcomes.some((o) => o.allocated + o.released + o.withoutSeat > 0))
      await this.audit.record({ type: 'seat.rules', outcome: 'info', details: { pools: outcomes } });
    return outcomes;
  }
}
