import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommitGroup } from '../../src/store/commit-group.js';
import { type Database, openDatabase } from '../../src/store/database.js';
import { executeNow, immediateStatementsOf } from '../../src/store/immediate.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { AuditRepository } from '../../src/store/repositories/audit.js';
import { ThrottleRepository } from '../../src/store/repositories/throttle.js';
import type { Tables } from '../../src/store/tables.js';
import { WriteBatch } from '../../src/store/write-batch.js';

/**
 * SQLite's statements run at once on the connection (ImmediateStatements) outside Kysely: they
 * must never join a transaction Kysely has open on that one connection, nor wait for another
 * process's write lock with the event loop stopped.
 */
describe('statements run at once on SQLite', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'passgate-immediate-'));
  const file = path.join(dir, 'passgate.db');
  let database: Database;
  let throttle: ThrottleRepository;
  let audit: AuditRepository;
  let other: SqliteDatabase.Database;

  beforeAll(async () => {
    database = await openDatabase(`sqlite:${file}`);
    await migrateToLatest(database);
    throttle = new ThrottleRepository(database.db);
    audit = new AuditRepository(database.db, Date.now);
    other = new SqliteDatabase(file);
  });
  afterAll(async () => {
    other?.close();
    await database?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const row = (key: string) => ({ key, failures: 1, window_start: 0, blocked_until: 0 });

  it('are the SQLite store’s only (not a transaction’s, not PostgreSQL’s)', async () => {
    expect(immediateStatementsOf(database.db)).toBeDefined();
    await database.db.transaction().execute(async (trx) => {
      expect(immediateStatementsOf<Tables>(trx)).toBeUndefined();
    });
  });

  it('never join a transaction Kysely has open: a read and a group’s write wait for its end', async () => {
    const group = new CommitGroup(database.db);
    let read: Promise<unknown> | undefined;
    let write: Promise<{ numAffectedRows?: bigint }> | undefined;
    await expect(
      database.db.transaction().execute(async (trx) => {
        await trx.insertInto('throttle').values(row('ghost')).execute();
        // Another operation's statements while the transaction is open on the one connection.
        read = throttle.get('ghost');
        write = group.run(database.db.deleteFrom('throttle').where('key', '=', 'ghost').compile());
        await new Promise((resolve) => setTimeout(resolve, 20));
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    // Run inside the transaction, the read would have seen the row and the delete removed it.
    expect(await read).toBeUndefined();
    expect((await write!).numAffectedRows).toBe(0n);
  });

  it('leave the event loop running while another process holds the write lock, then commit', async () => {
    const group = new CommitGroup(database.db);
    other.exec('begin immediate');
    other
      .prepare("insert into throttle (key, failures, window_start, blocked_until) values ('held', 1, 0, 0)")
      .run();
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 5);
    setTimeout(() => other.exec('commit'), 200);
    const accepted = new WriteBatch();
    audit.recordIn(accepted, { type: 'login.second-factor', outcome: 'success', username: 'held-lock' });
    try {
      const result = await group.run(
        database.db.updateTable('throttle').set({ failures: 2 }).where('key', '=', 'held').compile(),
        accepted,
      );
      expect(Number(result.numAffectedRows)).toBe(1);
    } finally {
      clearInterval(ticker);
    }
    expect(ticks).toBeGreaterThanOrEqual(10);
    expect(accepted.stored).toBe(true);
    expect((await throttle.get('held'))?.failures).toBe(2);
    const events = await audit.search({ username: 'held-lock' }, { column: 'at', direction: 'asc' }, 10, 0);
    expect(events.map((e) => e.type)).toEqual(['login.second-factor']);
  });

  it('leave a single statement that finds the write lock taken to Kysely’s connection, which waits for it', async () => {
    other.exec('begin immediate');
    setTimeout(() => other.exec('commit'), 100);
    const result = await executeNow(
      database.db,
      database.db.insertInto('throttle').values(row('after-lock')).compile(),
    );
    expect(Number(result.numAffectedRows)).toBe(1);
    expect(await throttle.get('after-lock')).toBeDefined();
  });

  it('roll the group’s transaction back when a write fails, and retry the others write by write', async () => {
    const group = new CommitGroup(database.db);
    const statements: string[] = [];
    const stop = database.observeStatements((sql) => statements.push(sql.split(' ')[0]!.toLowerCase()));
    const insert = (key: string) => database.db.insertInto('throttle').values(row(key)).compile();
    const outcomes = await Promise.allSettled([
      group.run(insert('first')),
      group.run(insert('held')), // taken: a unique violation
      group.run(insert('third')),
    ]);
    stop();
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(statements.slice(0, 5)).toEqual(['begin', 'insert', 'insert', 'rollback', 'insert']);
    expect(await throttle.get('first')).toBeDefined();
    expect(await throttle.get('third')).toBeDefined();
  });
});
