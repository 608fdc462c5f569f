import { type Kysely, sql } from 'kysely';
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
    const windowOver = sql<boolean>`throttle.window_start <= ${now - windowMs}`;
    const failures = sql<number>`case when ${windowOver} then 1 else throttle.failures + 1 end`;
    const windowStart = sliding
      ? sql<number>`${now}`
      : sql<number>`case when ${windowOver} then ${now} else throttle.window_start end`;
    const blockedUntil =
      maxFailures === undefined
        ? sql<number>`throttle.blocked_until`
        : sliding
          ? sql<number>`case when ${failures} >= ${maxFailures} then cast(${now + windowMs} as bigint) else 0 end`
          : sql<number>`case when ${failures} >= ${maxFailures} then ${windowStart} + ${windowMs} else 0 end`;
    const row = await this.db
      .insertInto('throttle')
      .values({
        key,
        failures: 1,
        window_start: now,
        blocked_until: maxFailures !== undefined && maxFailures <= 1 ? now + windowMs : 0,
      })
      .onConflict((oc) =>
        oc.column('key').doUpdateSet({
          failures,
          window_start: windowStart,
          blocked_until: blockedUntil,
        }),
      )
      .returning(['failures', 'window_start'])
      .executeTakeFirstOrThrow();
    return { failures: Number(row.failures), windowStart: Number(row.window_start) };
  }

  /** The counter's state, if it exists. */
  async get(key: string): Promise<ThrottleState | undefined> {
    const row = await this.db
      .selectFrom('throttle')
      .select(['failures', 'window_start', 'blocked_until'])
      .where('key', '=', key)
      .executeTakeFirst();
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
    await this.db
      .updateTable('throttle')
      .set({
        failures: sql`case when failures > 0 then failures - 1 else 0 end`,
        ...(maxFailures === undefined
          ? {}
          : { blocked_until: sql`case when failures - 1 >= ${maxFailures} then blocked_until else 0 end` }),
      })
      .where('key', '=', key)
      .execute();
  }

  /** Deletes a counter; tells whether there was one. */
  async reset(key: string): Promise<boolean> {
    const result = await this.db.deleteFrom('throttle').where('key', '=', key).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
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
