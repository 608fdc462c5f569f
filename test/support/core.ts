import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { type Core, composeCore } from '../../src/server/core.js';
import { openDatabase } from '../../src/store/database.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import type { User } from '../../src/store/repositories/users.js';
import { type Backend, createTestDatabase } from './databases.js';

/** A clock the test moves by hand. */
export interface FakeClock {
  (): number;
  set(ms: number): void;
  advance(ms: number): void;
}

/** A clock starting at `start` (epoch ms) that only moves when told. */
export function fakeClock(start = Date.UTC(2026, 10, 28, 12, 0, 0)): FakeClock {
  let now = start;
  const clock = (() => now) as FakeClock;
  clock.set = (ms) => {
    now = ms;
  };
  clock.advance = (ms) => {
    now += ms;
  };
  return clock;
}

/** The engine and its store on a fresh database, without the HTTP server. */
export interface TestCore {
  core: Core;
  clock: FakeClock;
  addUser(username: string, extra?: Partial<User>): Promise<User>;
  close(): Promise<void>;
}

/** Composes Passgate's core over a fresh database of the given backend, with a fake clock. */
export async function createTestCore(
  backend: Backend,
  config: ConfigInput = {},
  clock = fakeClock(),
): Promise<TestCore> {
  const testDatabase = await createTestDatabase(backend);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'passgate-core-'));
  const loaded = loadConfig({
    env: {},
    overrides: { dataDir, ...config, database: { url: testDatabase.url } },
  });
  const database = await openDatabase(loaded.database.url);
  await migrateToLatest(database);
  const core = composeCore(loaded, database, clock);
  return {
    core,
    clock,
    addUser: (username, extra = {}) =>
      core.users.create({
        username,
        displayName: extra.displayName ?? username,
        email: extra.email ?? `${username}@example.test`,
        mobile: extra.mobile ?? null,
        groups: extra.groups ?? [],
      }),
    close: async () => {
      await database.close();
      await testDatabase.drop();
    },
  };
}
