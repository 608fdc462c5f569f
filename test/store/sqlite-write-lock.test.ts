import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../../src/store/database.js';
import { migrateToLatest } from '../../src/store/migrate.js';

/**
 * Another process holding SQLite's write lock (here another connection of this process, which
 * stands for it): SQLite's own busy handler would sleep in the thread, so that this process's
 * event loop stopped until the lock came free — and the other connection, whose commit waits
 * for that loop, would never release it before the busy timeout.
 */
describe('a transaction waiting for the SQLite write lock of another connection', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'passgate-write-lock-'));
  const file = path.join(dir, 'passgate.db');
  let database: Database;
  let other: SqliteDatabase.Database;

  beforeAll(async () => {
    database = await openDatabase(`sqlite:${file}`);
    await migrateToLatest(database);
    other = new SqliteDatabase(file);
  });
  afterAll(async () => {
    other?.close();
    await database?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /**
   * Holds the other connection's lock until a timer of this event loop commits it, and runs
   * `write` meanwhile: with SQLite's sleeping busy handler the loop would stop, the timer never
   * fire and the write fail after the busy timeout. Returns how long the write waited and how
   * many ticks of a 5 ms ticker ran meanwhile.
   */
  const whileLocked = async (key: string, write: () => Promise<unknown>) => {
    other.exec('begin immediate');
    other
      .prepare('insert into throttle (key, failures, window_start, blocked_until) values (?, 1, 0, 0)')
      .run(`held-${key}`);
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 5);
    setTimeout(() => other.exec('commit'), 200);
    const started = performance.now();
    try {
      await write();
    } finally {
      clearInterval(ticker);
    }
    return { waited: performance.now() - started, ticks };
  };

  const keys = async (prefix: string) =>
    (
      await database.db
        .selectFrom('throttle')
        .select('key')
        .where('key', 'like', `%${prefix}`)
        .orderBy('key')
        .execute()
    ).map((k) => k.key);

  // The loop ran (the timer that frees the lock fired): the write went through well before the
  // 5 s busy timeout. The ticker's count is not a threshold (a loaded machine runs few ticks).
  it('leaves the event loop running in a transaction, and goes through once the lock is free', async () => {
    const { waited, ticks } = await whileLocked('transaction', () =>
      database.db.transaction().execute(async (trx) => {
        await trx
          .insertInto('throttle')
          .values({ key: 'waited-transaction', failures: 2, window_start: 0, blocked_until: 0 })
          .execute();
      }),
    );
    expect(waited).toBeGreaterThanOrEqual(150);
    expect(waited).toBeLessThan(3000);
    expect(ticks).toBeGreaterThan(0);
    expect(await keys('transaction')).toEqual(['held-transaction', 'waited-transaction']);
  });

  it('leaves the event loop running for an autocommitted write, and stores it once the lock is free', async () => {
    const { waited, ticks } = await whileLocked('single', () =>
      database.db
        .insertInto('throttle')
        .values({ key: 'waited-single', failures: 2, window_start: 0, blocked_until: 0 })
        .execute(),
    );
    expect(waited).toBeGreaterThanOrEqual(150);
    expect(waited).toBeLessThan(3000);
    expect(ticks).toBeGreaterThan(0);
    expect(await keys('single')).toEqual(['held-single', 'waited-single']);
  });

  it('still fails as unreachable when the lock is never freed within the busy timeout', async () => {
    other.exec('begin immediate');
    try {
      await expect(
        database.db.transaction().execute(async (trx) => {
          await trx.deleteFrom('throttle').execute();
        }),
      ).rejects.toMatchObject({ code: 'DB_UNREACHABLE' });
    } finally {
      other.exec('rollback');
    }
  }, 15_000);
});
