import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { stringify } from 'yaml';
import type { Clock } from '../../src/clock.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { hashPassword } from '../../src/crypto/password.js';
import { createLogger } from '../../src/observability/logger.js';
import { type Config, loadConfig } from '../../src/server/config.js';
import type { Core } from '../../src/server/core.js';
import { type RunningServer, startServer } from '../../src/server/start.js';
import type { User } from '../../src/store/repositories/users.js';
import { type Backend, createTestDatabase, type TestDatabase } from './databases.js';

/** A test client registration written to the server's metadata folder. */
export type TestClient = Record<string, unknown> & { client_id: string };

/** Default confidential client most tests use. */
export const TEST_CLIENT = {
  client_id: 'test-app',
  client_secret: 'test-app-secret-0123456789',
  client_name: 'Test Application',
  redirect_uris: ['http://127.0.0.1:9999/callback'],
  post_logout_redirect_uris: ['http://127.0.0.1:9999/'],
  grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
  scope: 'openid offline_access profile email groups',
} satisfies TestClient;

/** A Passgate server running in this process for one test file. */
export interface TestServer {
  url: string;
  server: RunningServer;
  core: Core;
  config: Config;
  dataDir: string;
  /** Every log line the server wrote, as text. */
  logs: string[];
  /** Creates a local user with a password. */
  addUser(username: string, password: string, extra?: Partial<User>): Promise<User>;
  close(): Promise<void>;
}

/** Options of {@link startTestServer}. */
export interface TestServerOptions {
  backend?: Backend;
  config?: ConfigInput;
  clients?: TestClient[];
  /** Use this database URL instead of creating a fresh one. */
  databaseUrl?: string;
  /** The server's clock (default: the system's). */
  clock?: Clock;
}

/**
 * Starts a real Passgate server on a free loopback port, with a fresh database of the chosen
 * backend, a private data folder, test client registrations and a cheap password hash.
 */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const database: TestDatabase | undefined = options.databaseUrl
    ? undefined
    : await createTestDatabase(options.backend ?? 'sqlite');
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'passgate-data-'));
  const metadataDir = path.join(dataDir, 'metadata');
  mkdirSync(path.join(metadataDir, 'oidc'), { recursive: true });
  mkdirSync(path.join(metadataDir, 'saml'), { recursive: true });
  for (const client of options.clients ?? [TEST_CLIENT]) {
    writeFileSync(path.join(metadataDir, 'oidc', `${client.client_id}.yaml`), stringify(client));
  }
  const config = loadConfig({
    env: {},
    overrides: {
      dataDir,
      metadataDir,
      database: { url: options.databaseUrl ?? database!.url, retryInitialDelayMs: 100, retryMaxDelayMs: 500 },
      passwords: { scryptCost: 10 },
      log: { level: 'info' },
      // Tests sign in many times from loopback: the per-address limits are tested on their own
      // (test/web/rate-limit.test.ts), a test that wants them says so.
      rateLimit: { enabled: false },
      ...options.config,
      server: { host: '127.0.0.1', port: 0, shutdownGraceSeconds: 2, ...options.config?.server },
    } as ConfigInput,
  });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logs.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  const server = await startServer(config, {
    logger: createLogger(config.log.level, sink),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  await server.ready;
  const core = server.core()!;
  return {
    url: server.publicUrl,
    server,
    core,
    config,
    dataDir,
    logs,
    addUser: async (username, password, extra = {}) =>
      core.users.create({
        username,
        displayName: extra.displayName ?? `${username[0]!.toUpperCase()}${username.slice(1)} Example`,
        email: extra.email ?? `${username}@example.test`,
        mobile: extra.mobile ?? null,
        groups: extra.groups ?? [],
        disabled: extra.disabled ?? false,
        passwordHash: await hashPassword(password, { cost: 10, blockSize: 8, parallelization: 1 }),
      }),
    close: async () => {
      await server.close();
      await database?.drop();
    },
  };
}
