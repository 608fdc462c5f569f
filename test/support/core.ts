import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ConfigInput } from '../../src/config/schema.js';
import type { Dispatcher } from '../../src/dispatch/dispatcher.js';
import type { OutboundMessage } from '../../src/dispatch/gateway.js';
import type { Challenges } from '../../src/engine/challenges.js';
import { createLogger } from '../../src/observability/logger.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { loadConfig } from '../../src/server/config.js';
import { type Core, composeCore } from '../../src/server/core.js';
import { composeChallenges } from '../../src/server/engine.js';
import { openDatabase } from '../../src/store/database.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import type { User } from '../../src/store/repositories/users.js';
import { TOKEN_TYPES } from '../../src/tokens/registry.js';
import type { TokenTypePlugin } from '../../src/tokens/token-type.js';
import { loadTranslations } from '../../src/web/i18n.js';
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

/** The core plus the second-factor engine (dispatcher, passcode sender, challenges). */
export interface TestEngine extends TestCore {
  challenges: Challenges;
  dispatcher: Dispatcher;
  /** Messages the outbox gateways wrote, oldest first. */
  outbox(): OutboundMessage[];
}

/**
 * Composes the core and the challenge engine, with the translations of `locales/` and a silent
 * log; with the registry's token types, or `tokenTypes`.
 */
export async function createTestEngine(
  backend: Backend,
  config: ConfigInput = {},
  clock = fakeClock(),
  tokenTypes: readonly TokenTypePlugin[] = TOKEN_TYPES,
): Promise<TestEngine> {
  const test = await createTestCore(backend, config, clock, tokenTypes);
  const translations = await loadTranslations(path.join(PACKAGE_ROOT, 'locales'), 'en');
  const { challenges, dispatcher } = composeChallenges(test.core, {
    logger: createLogger('silent'),
    translate: (lng, key, options) => translations.i18n.t(key, { lng, ns: 'messages', ...options }),
  });
  const folder = path.join(test.core.config.dataDir, 'outbox');
  return {
    ...test,
    challenges,
    dispatcher,
    outbox: () =>
      (existsSync(folder) ? readdirSync(folder).sort() : []).map(
        (name) => JSON.parse(readFileSync(path.join(folder, name), 'utf8')) as OutboundMessage,
      ),
    close: async () => {
      await dispatcher.close();
      await test.close();
    },
  };
}

/**
 * Composes Passgate's core over a fresh database of the given backend, with a fake clock; with
 * the registry's token types, or `tokenTypes`.
 */
export async function createTestCore(
  backend: Backend,
  config: ConfigInput = {},
  clock = fakeClock(),
  tokenTypes: readonly TokenTypePlugin[] = TOKEN_TYPES,
): Promise<TestCore> {
  const testDatabase = await createTestDatabase(backend);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'passgate-core-'));
  const loaded = loadConfig({
    env: {},
    overrides: { dataDir, ...config, database: { url: testDatabase.url } },
  });
  const database = await openDatabase(loaded.database.url);
  await migrateToLatest(database);
  const core = composeCore(loaded, database, clock, { tokenTypePlugins: tokenTypes });
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
      await core.directory.close?.();
      await database.close();
      await testDatabase.drop();
    },
  };
}
