import { type Kysely, sql } from 'kysely';
import { preparedQuery } from '../prepared-query.js';
import type { Tables } from '../tables.js';
import type { WriteBatch } from '../write-batch.js';

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

  /**
   * Charges one attempt to each counter under its own rule, all in one statement (what
   * {@link increment} with `maxFailures` does for one), and records the rule with the counter.
   * The keys must differ; the counts come back in the order of `charges`.
   */
  async incrementMany(
    charges: ReadonlyArray<{ key: string; rule: ThrottleRule }>,
    now: number,
  ): Promise<ThrottleCount[]> {
    let upsert = this.incrementManyStatements.get(charges.length);
    if (!upsert) {
      upsert = this.prepareIncrementMany(charges.length);
      this.incrementManyStatements.set(charges.length, upsert);
    }
    const args: Record<string, unknown> = {};
    charges.forEach(({ key, rule }, i) => {
      const windowMs = rule.windowSeconds * 1000;
      Object.assign(args, {
        [`key${i}`]: key,
        [`now${i}`]: now,
        [`initialBlock${i}`]: rule.maxFailures <= 1 ? now + windowMs : 0,
        [`windowMs${i}`]: windowMs,
        [`maxFailures${i}`]: rule.maxFailures,
        [`sliding${i}`]: rule.sliding ? 1 : 0,
      });
    });
    const { rows } = await upsert(args);
    const byKey = new Map(rows.map((row) => [row.key, row]));
    return charges.map(({ key }) => {
      const row = byKey.get(key)!;
      return { failures: Number(row.failures), windowStart: Number(row.window_start) };
    });
  }

  private readonly incrementManyStatements = new Map<
    number,
    ReturnType<ThrottleRepository['prepareIncrementMany']>
  >();

  private prepareIncrementMany(count: number) {
    const fields = ['key', 'now', 'initialBlock', 'windowMs', 'maxFailures', 'sliding'] as const;
    const names = Array.from({ length: count }, (_, i) => fields.map((field) => `${field}${i}`)).flat();
    return preparedQuery(
      () => this.db,
      names,
      (args) => {
        const rows = Array.from({ length: count }, (_, i) => ({
          key: args[`key${i}`] as never,
          failures: 1,
          window_start: args[`now${i}`] as never,
          blocked_until: args[`initialBlock${i}`] as never,
          window_ms: args[`windowMs${i}`] as never,
          max_failures: args[`maxFailures${i}`] as never,
          sliding: args[`sliding${i}`] as never,
        }));
        // `excluded` is the row that was to be inserted: this charge's time and rule.
        const windowOver = sql<boolean>`throttle.window_start <= excluded.window_start - excluded.window_ms`;
        const failures = sql<number>`case when ${windowOver} then 1 else throttle.failures + 1 end`;
        const windowStart = sql<number>`case when excluded.sliding = 1 or ${windowOver} then excluded.window_start else throttle.window_start end`;
        return this.db
          .insertInto('throttle')
          .values(rows)
          .onConflict((oc) =>
            oc.column('key').doUpdateSet({
              failures,
              window_start: windowStart,
              blocked_until: sql<number>`case when ${failures} >= excluded.max_failures then ${windowStart} + excluded.window_ms else 0 end`,
              window_ms: sql<number>`excluded.window_ms`,
              max_failures: sql<number>`excluded.max_failures`,
              sliding: sql<number>`excluded.sliding`,
            }),
          )
          .returning(['key', 'failures', 'window_start']);
      },
    );
  }

  /**
   * Settles the counters of an attempt in one statement: those in `cleared` forget every failure
   * (as a new counter would be), those in `refunded` give one back, never below zero, and stop
   * refusing once under the limit they were last charged with.
   */
  async settle(cleared: readonly string[], refunded: readonly string[]): Promise<void> {
    if (cleared.length + refunded.length === 0) return;
    await this.settleStatement(cleared, refunded)(settleArguments(cleared, refunded));
  }

  /** {@link settle} as a write of an operation's batch (stored when the batch is committed). */
  settleIn(batch: WriteBatch, cleared: readonly string[], refunded: readonly string[]): void {
    if (cleared.length + refunded.length === 0) return;
    batch.add(this.db, this.settleStatement(cleared, refunded).query(settleArguments(cleared, refunded)));
  }

  private settleStatement(cleared: readonly string[], refunded: readonly string[]) {
    const shape = `${cleared.length}:${refunded.length}`;
    let update = this.settleStatements.get(shape);
    if (!update) {
      update = this.prepareSettle(cleared.length, refunded.length);
      this.settleStatements.set(shape, update);
    }
    return update;
  }

  private readonly settleStatements = new Map<string, ReturnType<ThrottleRepository['prepareSettle']>>();

  private prepareSettle(clearedCount: number, refundedCount: number) {
    const cleared = Array.from({ length: clearedCount }, (_, i) => `cleared${i}`);
    const refunded = Array.from({ length: refundedCount }, (_, i) => `refunded${i}`);
    return preparedQuery(
      () => this.db,
      [...cleared, ...refunded],
      (args) => {
        const isCleared =
          clearedCount > 0
            ? sql<boolean>`key in (${sql.join(cleared.map((name) => args[name] as never))})`
            : sql<boolean>`1 = 0`;
        return this.db
          .updateTable('throttle')
          .set({
            failures: sql`case when ${isCleared} then 0 when failures > 0 then failures - 1 else 0 end`,
            window_start: sql`case when ${isCleared} then 0 else window_start end`,
            blocked_until: sql`case when ${isCleared} or failures - 1 < max_failures then 0 else blocked_until end`,
          })
          .where(
            'key',
            'in',
            [...cleared, ...refunded].map((name) => args[name] as never),
          );
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

  /** Several counters in one statement (two keys: a sign-in's user and address), by key; absent ones left out. */
  async getPair(first: string, second: string): Promise<Map<string, ThrottleState>> {
    const { rows } = await this.selectPair({ first, second });
    return new Map(
      rows.map((row) => [
        row.key,
        {
          failures: Number(row.failures),
          windowStart: Number(row.window_start),
          blockedUntil: Number(row.blocked_until),
        },
      ]),
    );
  }

  private readonly selectPair = preparedQuery(
    () => this.db,
    ['first', 'second'],
    ({ first, second }) =>
      this.db
        .selectFrom('throttle')
        .select(['key', 'failures', 'window_start', 'blocked_until'])
        .where('key', 'in', [first, second]),
  );

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

/** The arguments of a settle statement: the keys by their place among the cleared and refunded. */
function settleArguments(cleared: readonly string[], refunded: readonly string[]): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  cleared.forEach((key, i) => {
    args[`cleared${i}`] = key;
  });
  refunded.forEach((key, i) => {
    args[`refunded${i}`] = key;
  });
  return args;
}
