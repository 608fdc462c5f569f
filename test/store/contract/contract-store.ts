// The set-up every storage-contract file shares: each repository family's tests run once per
// backend (SQLite and PostgreSQL), each test on a fresh, migrated database and a hand-moved clock.
import { afterEach, beforeEach, describe } from 'vitest';
import { type Database, openDatabase } from '../../../src/store/database.js';
import { migrateToLatest } from '../../../src/store/migrate.js';
import { BACKENDS, type Backend, createTestDatabase, type TestDatabase } from '../../support/databases.js';

/** Far beyond 2^31 so that a 32-bit integer column or a string-typed bigint would show. */
export const T0 = 1_767_225_600_000;

/** A clock the test moves by hand, in epoch milliseconds. */
export interface FakeClock {
  (): number;
  advance(ms: number): void;
  set(ms: number): void;
}

/** A clock at `start` (T0 by default) that moves only when the test moves it. */
export function fakeClock(start = T0): FakeClock {
  let now = start;
  const clock = (() => now) as FakeClock;
  clock.advance = (ms) => {
    now += ms;
  };
  clock.set = (ms) => {
    now = ms;
  };
  return clock;
}

/** Settles every promise and splits the outcomes. */
export async function settle<T>(promises: Promise<T>[]): Promise<{ fulfilled: T[]; rejected: unknown[] }> {
  const results = await Promise.allSettled(promises);
  return {
    fulfilled: results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : [])),
    rejected: results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : [])),
  };
}

/** The error a promise rejects with (fails the test when it resolves). */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject, but it resolved');
}

/** The current test's database and clock (valid inside tests and `beforeEach` hooks). */
export interface ContractStore {
  readonly backend: Backend;
  /** URL of the test's database, for handles of other "processes". */
  readonly url: string;
  /** The handle the test's repositories use, migrated to the latest schema. */
  readonly database: Database;
  /** Starts at T0 for every test. */
  readonly clock: FakeClock;
  /** Another handle on the same database (another server process); closed after the test. */
  openAnotherHandle(): Promise<Database>;
  /**
   * `count` handles on the test's database as as many server processes would hold: the test's own
   * handle first, then `count - 1` others (closed after the test).
   */
  handles(count: number): Promise<Database[]>;
}

/**
 * Declares the storage contract of one repository family, run against every backend: `body`
 * declares its tests and reads the current database and clock from the store it is given.
 */
export function describeContract(family: string, body: (store: ContractStore) => void): void {
  describe.each(BACKENDS)(`storage contract: ${family} (%s)`, (backend) => {
    let testDatabase: TestDatabase;
    let database: Database;
    let clock: FakeClock;
    let extraHandles: Database[] = [];

    beforeEach(async () => {
      testDatabase = await createTestDatabase(backend);
      database = await openDatabase(testDatabase.url);
      await migrateToLatest(database);
      clock = fakeClock();
      extraHandles = [];
    });

    afterEach(async () => {
      for (const handle of extraHandles) await handle.close();
      await database?.close();
      await testDatabase?.drop();
    });

    async function openAnotherHandle(): Promise<Database> {
      const handle = await openDatabase(testDatabase.url);
      extraHandles.push(handle);
      return handle;
    }

    body({
      backend,
      get url() {
        return testDatabase.url;
      },
      get database() {
        return database;
      },
      get clock() {
        return clock;
      },
      openAnotherHandle,
      async handles(count) {
        const others = await Promise.all(Array.from({ length: count - 1 }, () => openAnotherHandle()));
        return [database, ...others];
      },
    });
  });
}
