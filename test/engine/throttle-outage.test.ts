import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { sql } from 'kysely';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { Throttle, type ThrottleRule } from '../../src/engine/throttle.js';
import { type Database, openDatabase } from '../../src/store/database.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { ThrottleRepository } from '../../src/store/repositories/throttle.js';
import { WriteBatch } from '../../src/store/write-batch.js';

const rule: ThrottleRule = { maxFailures: 3, windowSeconds: 600 };
const charges = [
  { key: 'login:user:ada', rule },
  { key: 'login:address:192.0.2.7', rule },
];

let dir: string;
let database: Database;
let lock: SqliteDatabase.Database;
let throttle: Throttle;

beforeEach(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'passgate-throttle-outage-'));
  const file = path.join(dir, 'passgate.db');
  database = await openDatabase(`sqlite:${file}`);
  await migrateToLatest(database);
  // The store gives up on a locked file after 100 ms instead of 5 s: same error, shorter test.
  await sql`pragma busy_timeout = 100`.execute(database.db);
  lock = new SqliteDatabase(file);
  throttle = new Throttle(new ThrottleRepository(database.db), Date.now);
});

afterEach(async () => {
  if (lock.inTransaction) lock.exec('rollback');
  lock.close();
  await database.close();
  rmSync(dir, { recursive: true, force: true });
});

const failures = async (key: string) => (await throttle.state(key, rule))?.failures ?? 0;

it('keeps a refund the store could not take and writes it once the store is back, so an outage counts no failure', async () => {
  expect(await throttle.reserve(charges)).toEqual({ allowed: true });
  lock.exec('begin exclusive'); // the store goes away between the reservation and the refund
  await throttle.settle({ refunded: charges.map((c) => c.key) });
  expect(throttle.pendingSettlements).toBe(1);
  lock.exec('rollback');
  // Written by the retry timer, without any new request.
  const deadline = Date.now() + 5_000;
  while (throttle.pendingSettlements > 0 && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 50));
  expect(throttle.pendingSettlements).toBe(0);
  expect(await failures('login:user:ada')).toBe(0);
  expect(await failures('login:address:192.0.2.7')).toBe(0);
});

it('writes a kept refund before the next reservation, so a user who retries at once is not refused', async () => {
  const once: ThrottleRule = { maxFailures: 1, windowSeconds: 600 };
  const charge = [{ key: 'login:user:bea', rule: once }];
  expect(await throttle.reserve(charge)).toEqual({ allowed: true });
  lock.exec('begin exclusive');
  await throttle.settle({ refunded: ['login:user:bea'] });
  lock.exec('rollback');
  expect(throttle.pendingSettlements).toBe(1);
  // At once (before the retry timer): without the kept refund this second attempt is over the limit of one.
  expect(await throttle.reserve(charge)).toEqual({ allowed: true });
  expect(throttle.pendingSettlements).toBe(0);
  expect((await throttle.state('login:user:bea', once))?.failures).toBe(1);
});

it("keeps a settlement of a sign-in's batch that the store could not take, and writes it once the store is back", async () => {
  expect(await throttle.reserve(charges)).toEqual({ allowed: true });
  const batch = new WriteBatch();
  throttle.settleIn(batch, { cleared: ['login:user:ada'], refunded: ['login:address:192.0.2.7'] });
  expect(throttle.pendingSettlements).toBe(0);
  lock.exec('begin exclusive'); // the store goes away before the sign-in commits its writes
  await expect(batch.commit()).rejects.toThrow();
  expect(throttle.pendingSettlements).toBe(1);
  lock.exec('rollback');
  expect(await throttle.reserve(charges)).toEqual({ allowed: true });
  expect(throttle.pendingSettlements).toBe(0);
  // The kept settlement went first: each counter holds the new reservation's charge only.
  expect(await failures('login:user:ada')).toBe(1);
  expect(await failures('login:address:192.0.2.7')).toBe(1);
});

it('still throws what is not an outage', async () => {
  await database.close();
  await expect(throttle.settle({ refunded: ['login:user:ada'] })).rejects.toThrow();
  expect(throttle.pendingSettlements).toBe(0);
  database = await openDatabase(`sqlite:${path.join(dir, 'passgate.db')}`);
});
