import { type Kysely, sql } from 'kysely';
import type { Tables } from '../tables.js';

/** State of one throttle counter after an update. */
export interface ThrottleCount {
  failures: number;
  windowStart: number;
}

/**
 * Failure counters shared by every server process. Each update is one atomic statement, so
 * concurrent requests can never slip past a limit between a read and a write.
 */
export class ThrottleRepository {
  constructor(private readonly db: Kysely<Tables>) {}

  /**
   * Adds one to the counter, starting a new window when the old one has ended at `now`; a
   * `sliding` window starts again at every increment.
   */
  async increment(key: string, now: number, windowMs: number, sliding = false): Promise<ThrottleCount> {
    const windowOver = sql<boolean>`throttle.window_start <= ${now - windowMs}`;
    const row = await this.db
      .insertInto('throttle')
      .values({ key, failures: 1, window_start: now, blocked_until: 0 })
      .onConflict((oc) =>
        oc.column('key').doUpdateSet({
          failures: sql`case when ${windowOver} then 1 else throttle.failures + 1 end`,
          window_start: sliding
            ? sql`${now}`
            : sql`case when ${windowOver} then ${now} else throttle.window_start end`,
        }),
      )
      .returning(['failures', 'window_start'])
      .executeTakeFirstOrThrow();
    return { failures: Number(row.failures), windowStart: Number(row.window_start) };
  }

  /** The counter's state, if it exists. */
  async get(key: string): Promise<ThrottleCount | undefined> {
    const row = await this.db
      .selectFrom('throttle')
      .select(['failures', 'window_start'])
      .where('key', '=', key)
      .executeTakeFirst();
    return row && { failures: Number(row.failures), windowStart: Number(row.window_start) };
  }

  /** Takes one back (an attempt that turned out to succeed), never below zero. */
  async decrement(key: string): Promise<void> {
    await this.db
      .updateTable('throttle')
      .set({ failures: sql`case when failures > 0 then failures - 1 else 0 end` })
      .where('key', '=', key)
      .execute();
  }

  async reset(key: string): Promise<void> {
    await this.db.deleteFrom('throttle').where('key', '=', key).execute();
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
