import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { type Clock, systemClock } from '../../src/clock.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { hashPassword } from '../../src/crypto/password.js';
import { createLogger } from '../../src/observability/logger.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { type Config, loadConfig } from '../../src/server/config.js';
import { type Core, composeCore } from '../../src/server/core.js';
import { type RunningServer, startServer } from '../../src/server/start.js';
import { type Database, openDatabase } from '../../src/store/database.js';
import type { User } from '../../src/store/repositories/users.js';
import { cleanEnv } from './cli.js';
import { type Backend, createTestDatabase, type TestDatabase } from './databases.js';
import { freePort } from './free-port.js';

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
  // What the doors deferred loads right after ready: tests start once it has, so that its
  // statements and CPU never land inside what a test measures.
  await server.warmedUp;
  const core = server.core()!;
  return {
    url: server.publicUrl,
    server,
    core,
    config,
    dataDir,
    logs,
    addUser: userAdder(core),
    close: async () => {
      await server.close();
      await database?.drop();
    },
  };
}

/** Passgate started as `passgate start` with `server.workers` worker processes (node:cluster). */
export interface WorkersTestServer {
  url: string;
  /** The primary's process id (it forwards SIGHUP and SIGTERM to the workers). */
  pid: number;
  /** The primary's live child processes (the workers) right now. */
  workerPids(): number[];
  /** Every line the primary and the workers wrote, as text. */
  logs: string[];
  /** A core over the same store, in the test's process (users, tokens, inspection). */
  core: Core;
  config: Config;
  dataDir: string;
  addUser(username: string, password: string, extra?: Partial<User>): Promise<User>;
  /** The /metrics text (summed over the workers by the primary), from whichever worker takes it. */
  metrics(): Promise<string>;
  /** Resolves once `count` log lines match `pattern` (fails after `timeoutMs`). */
  waitForLogs(pattern: RegExp, count?: number, timeoutMs?: number): Promise<string[]>;
  close(): Promise<void>;
}

const WORKERS_METRICS_VARIABLE = 'PASSGATE_TEST_METRICS_TOKEN';
const WORKERS_METRICS_TOKEN = 'workers-test-metrics-token';

/**
 * Starts the real `passgate start` with `workers` worker processes on a fresh database of the
 * chosen backend (the same settings as {@link startTestServer}), waits until every worker serves.
 */
export async function startWorkersTestServer(
  options: TestServerOptions & { workers: number },
): Promise<WorkersTestServer> {
  const database = await createTestDatabase(options.backend ?? 'sqlite');
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'passgate-data-'));
  const metadataDir = path.join(dataDir, 'metadata');
  mkdirSync(path.join(metadataDir, 'oidc'), { recursive: true });
  mkdirSync(path.join(metadataDir, 'saml'), { recursive: true });
  for (const client of options.clients ?? [TEST_CLIENT]) {
    writeFileSync(path.join(metadataDir, 'oidc', `${client.client_id}.yaml`), stringify(client));
  }
  const port = await freePort();
  const settings = {
    dataDir,
    metadataDir,
    database: { url: database.url, retryInitialDelayMs: 100, retryMaxDelayMs: 500 },
    passwords: { scryptCost: 10 },
    log: { level: 'info' },
    rateLimit: { enabled: false },
    metrics: { tokenEnv: WORKERS_METRICS_VARIABLE },
    ...options.config,
    server: {
      host: '127.0.0.1',
      port,
      publicUrl: `http://127.0.0.1:${port}`,
      shutdownGraceSeconds: 2,
      workers: options.workers,
      ...options.config?.server,
    },
  } as ConfigInput;
  const file = path.join(dataDir, 'passgate.yaml');
  writeFileSync(file, stringify(settings));
  const env = { PASSGATE_MASTER_KEY: randomBytes(32).toString('base64') };
  const config = loadConfig({ file, env });
  const child: ChildProcess = spawn(
    process.execPath,
    [path.join(PACKAGE_ROOT, 'bin', 'passgate.js'), 'start', '--config', file],
    {
      env: cleanEnv({ ...env, [WORKERS_METRICS_VARIABLE]: WORKERS_METRICS_TOKEN }),
      cwd: PACKAGE_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const logs: string[] = [];
  const collectLines = (chunk: Buffer) => logs.push(...chunk.toString().split('\n').filter(Boolean));
  child.stdout!.on('data', collectLines);
  child.stderr!.on('data', collectLines);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const waitForLogs = async (pattern: RegExp, count = 1, timeoutMs = 60_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const matching = logs.filter((line) => pattern.test(line));
      if (matching.length >= count) return matching;
      if (child.exitCode !== null || Date.now() > deadline)
        throw new Error(`no ${count} lines matching ${pattern}; output:\n${logs.slice(-30).join('\n')}`);
      await sleep(100);
    }
  };
  let store: Database | undefined;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    }
    await store?.close();
    await database.drop();
  };
  try {
    await waitForLogs(/"msg":"worker serving"/, options.workers);
    await waitForLogs(/"msg":"warmed up"/, options.workers);
    // The servers' processes checkpoint an SQLite file, not the test's connection.
    store = await openDatabase(database.url, { checkpoints: false });
  } catch (error) {
    await stop();
    throw error;
  }
  const core = composeCore(config, store, options.clock ?? systemClock);
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    pid: child.pid!,
    // The primary's node children: run from src/, it also has tsx's esbuild service as a child.
    workerPids: () =>
      execFileSync('ps', ['--ppid', String(child.pid), '-o', 'pid=,comm='])
        .toString()
        .split('\n')
        .map((line) => line.trim().split(/\s+/))
        .filter(([pid, command]) => Number(pid) > 0 && command === path.basename(process.execPath))
        .map(([pid]) => Number(pid)),
    logs,
    core,
    config,
    dataDir,
    addUser: userAdder(core),
    metrics: async () => {
      const response = await fetch(`${url}/metrics`, {
        headers: { authorization: `Bearer ${WORKERS_METRICS_TOKEN}` },
      });
      if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`);
      return response.text();
    },
    waitForLogs,
    close: stop,
  };
}

/** Creates local users with a password, hashed cheaply (the servers' `passwords.scryptCost: 10`). */
function userAdder(core: Core): TestServer['addUser'] {
  return async (username, password, extra = {}) =>
    core.users.create({
      username,
      displayName: extra.displayName ?? `${username[0]!.toUpperCase()}${username.slice(1)} Example`,
      email: extra.email ?? `${username}@example.test`,
      mobile: extra.mobile ?? null,
      groups: extra.groups ?? [],
      disabled: extra.disabled ?? false,
      passwordHash: await hashPassword(password, { cost: 10, blockSize: 8, parallelization: 1 }),
    });
}
