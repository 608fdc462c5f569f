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

  it('leaves the event loop running, and goes through once the lock is free', async () => {
    other.exec('begin immediate');
    other
      .prepare("insert into throttle (key, failures, window_start, blocked_until) values ('held', 1, 0, 0)")
      .run();
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 5);
    setTimeout(() => other.exec('commit'), 200);
    const started = performance.now();
    try {
      await database.db.transaction().execute(async (trx) => {
        await trx
          .insertInto('throttle')
          .values({ key: 'waited', failures: 2, window_start: 0, blocked_until: 0 })
          .execute();
      });
    } finally {
      clearInterval(ticker);
    }
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(150);
    expect(waited).toBeLessThan(3000);
    expect(ticks).toBeGreaterThanOrEqual(10);
    const keys = await database.db.selectFrom('throttle').select('key').orderBy('key').execute();
    expect(keys.map((k) => k.key)).toEqual(['held', 'waited']);
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
