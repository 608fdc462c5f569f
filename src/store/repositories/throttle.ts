import { type Kysely, sql } from 'kysely';
import { preparedQuery } from '../prepared-query.js';
import type { Tables } from '../tables.js';

/** A limit of attempts inside a window. */
export interface ThrottleRule {
  maxFailures: number;
  windowSeconds: number;
  /**
   * The window starts again at every attempt, so the count ends only after a whole window without
   * one: how Active Directory's lockout observation window counts bad passwords.
   */
  sliding?: boolean;
}

/** State of one throttle counter after an update. */
export interface ThrottleCount {
  failures: number;
  windowStart: number;
}

/** A stored counter as an administrator sees it: its failures and until when it refuses attempts. */
export interface ThrottleState extends ThrottleCount {
  /** Until when the counter refuses attempts (epoch ms), as of its last update; 0 when it does not. */
  blockedUntil: number;
}

/**
 * Failure counters shared by every server process. Each update is one atomic statement, so
 * concurrent requests can never slip past a limit between a read and a write.
 */
export class ThrottleRepository {
  constructor(private readonly db: Kysely<Tables>) {}

  // The statements of every sign-in but the increment (whose shape depends on the rule), built once.
  private readonly selectCounter = preparedQuery(
    () => this.db,
    ['key'],
    ({ key }) =>
      this.db
        .selectFrom('throttle')
        .select(['failures', 'window_start', 'blocked_until'])
        .where('key', '=', key),
  );
  private readonly deleteCounter = preparedQuery(
    () => this.db,
    ['key'],
    ({ key }) => this.db.deleteFrom('throttle').where('key', '=', key),
  );
  private readonly decrementCounter = preparedQuery(
    () => this.db,
    ['key'],
    ({ key }) =>
      this.db
        .updateTable('throttle')
        .set({ failures: sql`case when failures > 0 then failures - 1 else 0 end` })
        .where('key', '=', key),
  );
  private readonly decrementBlockedCounter = preparedQuery(
    () => this.db,
    ['key', 'maxFailures'],
    ({ key, maxFailures }) =>
      this.db
        .updateTable('throttle')
        .set({
          failures: sql`case when failures > 0 then failures - 1 else 0 end`,
          blocked_until: sql`case when failures - 1 >= ${maxFailures} then blocked_until else 0 end`,
        })
        .where('key', '=', key),
  );

  /**
   * Adds one to the counter, starting a new window when the old one has ended at `now`; a
   * `sliding` window starts again at every increment. With `maxFailures`, the same statement
   * records until when the counter refuses attempts (the end of its window once it holds that
   * many failures), so administrators can see a block without knowing the rule that made it.
   */
  async increment(
    key: string,
    now: number,
    windowMs: number,
    sliding = false,
    maxFailures?: number,
  ): Promise<ThrottleCount> {
    const blocks = maxFailures !== undefined;
    const variant = `${sliding}:${blocks}`;
    let upsert = this.incrementVariants.get(variant);
    if (!upsert) {
      upsert = this.prepareIncrement(sliding, blocks);
      this.incrementVariants.set(variant, upsert);
    }
    const { rows } = await upsert({
      key,
      now,
      since: now - windowMs,
      initialBlock: blocks && maxFailures <= 1 ? now + windowMs : 0,
      // Only the blocking shapes use these (the sliding one the window's end, the other its length).
      maxFailures: maxFailures ?? 0,
      windowMs,
      windowEnd: now + windowMs,
    });
    const row = rows[0]!;
    return { failures: Number(row.failures), windowStart: Number(row.window_start) };
  }

  /** The increment's statement for one shape of rule, built once (see preparedQuery). */
  private readonly incrementVariants = new Map<string, ReturnType<ThrottleRepository['prepareIncrement']>>();

  private prepareIncrement(sliding: boolean, blocks: boolean) {
    const names = [
      'key',
      'now',
      'since',
      'initialBlock',
      ...(blocks ? ['maxFailures', sliding ? 'windowEnd' : 'windowMs'] : []),
    ];
    return preparedQuery(
      () => this.db,
      names as Array<'key' | 'now' | 'since' | 'initialBlock' | 'maxFailures' | 'windowMs' | 'windowEnd'>,
      ({ key, now, since, initialBlock, maxFailures, windowMs, windowEnd }) => {
        const windowOver = sql<boolean>`throttle.window_start <= ${since}`;
        const failures = sql<number>`case when ${windowOver} then 1 else throttle.failures + 1 end`;
        const windowStart = sliding
          ? sql<number>`${now}`
          : sql<number>`case when ${windowOver} then ${now} else throttle.window_start end`;
        const blockedUntil = !blocks
          ? sql<number>`throttle.blocked_until`
          : sliding
            ? sql<number>`case when ${failures} >= ${maxFailures} then cast(${windowEnd} as bigint) else 0 end`
            : sql<number>`case when ${failures} >= ${maxFailures} then ${windowStart} + ${windowMs} else 0 end`;
        return this.db
          .insertInto('throttle')
          .values({ key, failures: 1, window_start: now, blocked_until: initialBlock })
          .onConflict((oc) =>
            oc
              .column('key')
              .doUpdateSet({ failures, window_start: windowStart, blocked_until: blockedUntil }),
          )
          .returning(['failures', 'window_start']);
      },
    );
  }

  /** The counter's state, if it exists. */
  async get(key: string): Promise<ThrottleState | undefined> {
    const [row] = (await this.selectCounter({ key })).rows;
    return (
      row && {
        failures: Number(row.failures),
        windowStart: Number(row.window_start),
        blockedUntil: Number(row.blocked_until),
      }
    );
  }

  /**
   * Takes one back (an attempt that turned out to succeed), never below zero; with
   * `maxFailures`, a counter that falls below it refuses nothing any more.
   */
  async decrement(key: string, maxFailures?: number): Promise<void> {
    if (maxFailures === undefined) await this.decrementCounter({ key });
    else await this.decrementBlockedCounter({ key, maxFailures });
  }

  /** Deletes a counter; tells whether there was one. */
  async reset(key: string): Promise<boolean> {
    const result = await this.deleteCounter({ key });
    return Number(result.numAffectedRows ?? 0) > 0;
  }

  /** Removes counters whose window ended before `before`. */
  async prune(before: number): Promise<void> {
    await this.db
      .deleteFrom('throttle')
      .where('window_start', '<', before)
      .where('blocked_until', '<', before)
      .execute();
  }
}
