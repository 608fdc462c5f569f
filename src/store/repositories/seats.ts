import type { Kysely, Transaction } from 'kysely';
import type { Tables } from '../tables.js';

/** How a seat was given; a sync's rules only ever take back seats they gave themselves. */
export type SeatVia = 'hand' | 'rule' | 'import';

/** One seat as stored. */
export interface SeatRecord {
  userId: string;
  pool: string;
  allocatedAt: number;
  allocatedBy: string;
  via: SeatVia;
}

/** What one allocation asks for. */
export interface SeatRequest {
  userIds: readonly string[];
  pool: string;
  by: string;
  via: SeatVia;
  now: number;
  /** Seats the pool may hold in all; null means unlimited. */
  capacity: number | null;
  /**
   * `all-or-nothing` refuses the whole request when it does not fit; `until-full` gives seats in
   * the order of `userIds` until the pool is full (what a rule does at a sync).
   */
  mode: 'all-or-nothing' | 'until-full';
}

/** What an allocation did; nothing was written when `missing` > 0 under all-or-nothing. */
export interface SeatAllocation {
  /** Users given a seat now. */
  allocated: string[];
  /** Users who held one already (untouched). */
  alreadyHeld: number;
  /** Ids that name no user: nothing is written when there is one. */
  unknownUsers: string[];
  /** Seats lacking to serve every user asked for (0 when all fit). */
  missing: number;
  /** Seats used in the pool after the allocation. */
  used: number;
}

/** Rows per statement: far below the bound-parameter limits of SQLite and PostgreSQL. */
const CHUNK = 1000;

/**
 * Persistence of licence seats. Capacity decisions are taken inside one transaction that first
 * locks the pool's row, so that allocations from several workers are serialised per pool.
 */
export class SeatsRepository {
  constructor(private readonly db: Kysely<Tables>) {}

  /** Whether the user holds a seat of the pool (a primary-key lookup: one per sign-in). */
  async holds(userId: string, pool: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('seats')
      .select('user_id')
      .where('user_id', '=', userId)
      .where('pool', '=', pool)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** The seats one user holds, every pool. */
  async ofUser(userId: string): Promise<SeatRecord[]> {
    const rows = await this.db.selectFrom('seats').selectAll().where('user_id', '=', userId).execute();
    return rows.map(toRecord);
  }

  /** The seats of a pool, oldest first (listings, the CLI). */
  async ofPool(pool: string, limit = 1000): Promise<SeatRecord[]> {
    const rows = await this.db
      .selectFrom('seats')
      .selectAll()
      .where('pool', '=', pool)
      .orderBy('allocated_at')
      .orderBy('user_id')
      .limit(limit)
      .execute();
    return rows.map(toRecord);
  }

  /** Seats used per pool; pools without a seat are absent. */
  async counts(): Promise<Record<string, number>> {
    const rows = await this.db
      .selectFrom('seats')
      .select(['pool', (eb) => eb.fn.countAll<number>().as('used')])
      .groupBy('pool')
      .execute();
    return Object.fromEntries(rows.map((row) => [row.pool, Number(row.used)]));
  }

  /** Gives seats under the request's capacity rule, atomically (see {@link SeatRequest.mode}). */
  async allocate(request: SeatRequest): Promise<SeatAllocation> {
    const userIds = [...new Set(request.userIds)];
    return this.db.transaction().execute(async (trx) => {
      await lockPool(trx, request.pool);
      const known = await existing(trx, userIds);
      const unknownUsers = userIds.filter((id) => !known.has(id));
      const held = await holders(trx, request.pool, userIds);
      const used = await countPool(trx, request.pool);
      const wanted = userIds.filter((id) => known.has(id) && !held.has(id));
      const free = request.capacity === null ? wanted.length : Math.max(0, request.capacity - used);
      const missing = Math.max(0, wanted.length - free);
      const outcome = { alreadyHeld: held.size, unknownUsers, missing };
      if (unknownUsers.length > 0 || (missing > 0 && request.mode === 'all-or-nothing'))
        return { ...outcome, allocated: [], used };
      const allocated = wanted.slice(0, free);
      for (let start = 0; start < allocated.length; start += CHUNK) {
        const rows = allocated.slice(start, start + CHUNK).map((userId) => ({
          user_id: userId,
          pool: request.pool,
          allocated_at: request.now,
          allocated_by: request.by,
          via: request.via,
        }));
        await trx.insertInto('seats').values(rows).execute();
      }
      return { ...outcome, allocated, used: used + allocated.length };
    });
  }

  /** Takes seats back; returns the users who held one (others are ignored). */
  async release(userIds: readonly string[], pool: string): Promise<string[]> {
    const unique = [...new Set(userIds)];
    return this.db.transaction().execute(async (trx) => {
      await lockPool(trx, pool);
      const released: string[] = [];
      for (let start = 0; start < unique.length; start += CHUNK) {
        const rows = await trx
          .deleteFrom('seats')
          .where('pool', '=', pool)
          .where('user_id', 'in', unique.slice(start, start + CHUNK))
          .returning('user_id')
          .execute();
        released.push(...rows.map((row) => row.user_id));
      }
      return released;
    });
  }

  /** The users holding a seat of the pool given a certain way (a sync's rules compare theirs). */
  async holdersVia(pool: string, via: SeatVia): Promise<string[]> {
    const rows = await this.db
      .selectFrom('seats')
      .select('user_id')
      .where('pool', '=', pool)
      .where('via', '=', via)
      .execute();
    return rows.map((row) => row.user_id);
  }

  /** Enabled, not removed users with their groups, oldest first: what seat rules match against. */
  ruleCandidates(): Promise<RuleCandidate[]> {
    return ruleCandidates(this.db);
  }

  /**
   * Records whether the pool is above its warning threshold; true only for the one caller that
   * changed it, so that a crossing is reported once however many workers see it.
   */
  async markHighUse(pool: string, high: boolean): Promise<boolean> {
    const value = high ? 1 : 0;
    const result = await this.db
      .updateTable('seat_pools')
      .set({ high_use: value })
      .where('pool', '=', pool)
      .where('high_use', '<>', value)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }
}

/** Locks the pool's row (PostgreSQL row lock; SQLite's immediate transaction already holds the write lock). */
async function lockPool(trx: Transaction<Tables>, pool: string): Promise<void> {
  await trx.selectFrom('seat_pools').select('pool').where('pool', '=', pool).forUpdate().execute();
}

async function existing(trx: Transaction<Tables>, userIds: string[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (let start = 0; start < userIds.length; start += CHUNK) {
    const rows = await trx
      .selectFrom('users')
      .select('id')
      .where('id', 'in', userIds.slice(start, start + CHUNK))
      .execute();
    for (const row of rows) found.add(row.id);
  }
  return found;
}

async function holders(trx: Transaction<Tables>, pool: string, userIds: string[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (let start = 0; start < userIds.length; start += CHUNK) {
    const rows = await trx
      .selectFrom('seats')
      .select('user_id')
      .where('pool', '=', pool)
      .where('user_id', 'in', userIds.slice(start, start + CHUNK))
      .execute();
    for (const row of rows) found.add(row.user_id);
  }
  return found;
}

async function countPool(trx: Transaction<Tables>, pool: string): Promise<number> {
  const row = await trx
    .selectFrom('seats')
    .select((eb) => eb.fn.countAll<number>().as('used'))
    .where('pool', '=', pool)
    .executeTakeFirstOrThrow();
  return Number(row.used);
}

function toRecord(row: Tables['seats']): SeatRecord {
  return {
    userId: row.user_id,
    pool: row.pool,
    allocatedAt: Number(row.allocated_at),
    allocatedBy: row.allocated_by,
    via: row.via as SeatVia,
  };
}

/** A user a seat rule may match: enabled and not removed, with their groups. */
export interface RuleCandidate {
  id: string;
  groups: string[];
}

/**
 * The users seat rules look at, oldest first (then by id): the stable order in which a rule gives
 * seats while the pool has some, so that who gets one never depends on the run.
 */
async function ruleCandidates(db: Kysely<Tables>): Promise<RuleCandidate[]> {
  const rows = await db
    .selectFrom('users')
    .select(['id', 'groups'])
    .where('removed_at', 'is', null)
    .where('disabled', '=', 0)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map((row) => ({ id: row.id, groups: JSON.parse(row.groups) as string[] }));
}
