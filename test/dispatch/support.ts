import { mkdtempSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { createDispatcher } from '../../src/dispatch/create-dispatcher.js';
import type { Dispatcher } from '../../src/dispatch/dispatcher.js';
import type { OutboundMessage } from '../../src/dispatch/gateway.js';
import { gatewaySettings } from '../../src/dispatch/registry.js';
import { createLogger, type Logger } from '../../src/observability/logger.js';
import { loadLoadBalancingPolicies } from '../../src/policy/load-balancing-store.js';
import { PolicyStore } from '../../src/policy/policy-store.js';
import { type Database, openDatabase } from '../../src/store/database.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { DeliveryAttemptsRepository } from '../../src/store/repositories/delivery-attempts.js';
import { PoliciesRepository } from '../../src/store/repositories/policies.js';
import { type Backend, createTestDatabase, type TestDatabase } from '../support/databases.js';

/** A clock the test moves by hand. */
export interface FakeClock {
  (): number;
  advance(ms: number): void;
}

/** A clock starting at a fixed instant, moved only by `advance`. */
export function fakeClock(start = 1_767_225_600_000): FakeClock {
  let now = start;
  const clock = (() => now) as FakeClock;
  clock.advance = (ms) => {
    now += ms;
  };
  return clock;
}

/** A logger whose JSON lines are kept for the test to read. */
export function captureLogger(level = 'debug'): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return { logger: createLogger(level, sink), lines };
}

/** The address of a listening server on loopback. */
export function addressOf(server: { address(): AddressInfo | string | null }): string {
  const { port } = server.address() as AddressInfo;
  return `127.0.0.1:${port}`;
}

/** Starts a node:http (or net) server on a free loopback port. */
export async function listen<T extends Server | import('node:net').Server>(server: T): Promise<T> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

/** Stops a server, cutting its open connections. */
export async function stop(server: Server | import('node:net').Server): Promise<void> {
  (server as Server).closeAllConnections?.();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** A passcode message for tests. */
export function message(overrides: Partial<OutboundMessage> = {}): OutboundMessage {
  return {
    id: `msg-${Math.random().toString(36).slice(2, 10)}`,
    channel: 'sms',
    to: '+33612345642',
    text: 'Your passcode is 481592. It is valid for 5 minutes. Never share it with anyone.',
    code: '481592',
    language: 'en',
    ...overrides,
  };
}

/** A migrated database of one backend with the repositories the dispatcher uses. */
export interface Store {
  database: Database;
  policies: PoliciesRepository;
  attempts: DeliveryAttemptsRepository;
  close(): Promise<void>;
}

/** Opens a fresh, migrated test database. */
export async function openStore(backend: Backend, clock: () => number = Date.now): Promise<Store> {
  const test: TestDatabase = await createTestDatabase(backend);
  const database = await openDatabase(test.url);
  await migrateToLatest(database);
  return {
    database,
    policies: new PoliciesRepository(database.db, clock),
    attempts: new DeliveryAttemptsRepository(database.db, clock),
    close: async () => {
      await database.close();
      await test.drop();
    },
  };
}

/** A dispatcher over gateway settings as written in YAML, with stored policies. */
export async function startDispatcher(options: {
  store: Store;
  gateways: unknown[];
  policies?: Array<{ name: string; document: unknown }>;
  env?: Record<string, string>;
  clock?: () => number;
  logger?: Logger;
}): Promise<{ dispatcher: Dispatcher; dataDir: string }> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'passgate-dispatch-'));
  if (options.policies) {
    await new PolicyStore(options.store.policies).importSet({
      'load-balancing': Object.fromEntries(options.policies.map((p) => [p.name, p.document])),
    });
  }
  const dispatcher = createDispatcher({
    dispatch: { gateways: options.gateways.map((g) => gatewaySettings.parse(g)) },
    loadPolicies: (onInvalid) => loadLoadBalancingPolicies(options.store.policies, onInvalid),
    attempts: options.store.attempts,
    logger: options.logger ?? captureLogger('silent').logger,
    clock: options.clock ?? Date.now,
    dataDir,
    env: options.env ?? {},
  });
  return { dispatcher, dataDir };
}

/** Polls `check` until it returns a value other than undefined (or fails after `ms`). */
export async function eventually<T>(check: () => Promise<T | undefined>, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** One request a fake provider received. */
export interface ReceivedRequest {
  method: string;
  url: string;
  headers: import('node:http').IncomingHttpHeaders;
  body: string;
}

/** What a fake provider answers; `hang` never answers (until the client gives up). */
export type FakeAnswer = { status: number; body?: string; type?: string } | 'hang';

/**
 * A real HTTP server on loopback playing a provider: it records every request and answers with
 * `answer(request)`. `aborted` counts requests whose client went away before an answer.
 */
export async function startProvider(answer: (request: ReceivedRequest) => FakeAnswer) {
  const { createServer } = await import('node:http');
  const requests: ReceivedRequest[] = [];
  const counters = { aborted: 0 };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      };
      requests.push(request);
      const reply = answer(request);
      if (reply === 'hang') {
        res.on('close', () => {
          if (!res.writableEnded) counters.aborted++;
        });
        return;
      }
      res.writeHead(reply.status, { 'content-type': reply.type ?? 'application/json' }).end(reply.body ?? '');
    });
  });
  await listen(server);
  return { url: `http://${addressOf(server)}`, requests, counters, close: () => stop(server) };
}
