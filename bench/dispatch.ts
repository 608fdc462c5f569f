import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { createDispatcher } from '../src/dispatch/create-dispatcher.js';
import { smppSettings } from '../src/dispatch/gateways/smpp.js';
import { createLogger } from '../src/observability/logger.js';
import { loadLoadBalancingPolicies } from '../src/policy/load-balancing-store.js';
import { openDatabase } from '../src/store/database.js';
import { migrateToLatest } from '../src/store/migrate.js';
import { DeliveryAttemptsRepository } from '../src/store/repositories/delivery-attempts.js';
import { PoliciesRepository } from '../src/store/repositories/policies.js';
import { startSmsc } from '../test/dispatch/smsc.js';
import type { ScenarioResult } from './report.js';
import type { BackendId, BenchSettings, ScenarioId } from './settings.js';
import { measureInProcess } from './usage.js';

/** What an in-process scenario gets from the bench. */
export interface InProcessContext {
  backend: BackendId;
  databaseUrl: string;
  /** The run's master key (base64): what the servers sealed their signing keys with in this database. */
  masterKey: string;
  settings: BenchSettings;
  /** CPU seconds of the database server's processes so far (0 for SQLite). */
  databaseCpuSeconds(): number;
  log(line: string): void;
  /** Something to undo when the whole bench ends (a DC the scenarios share). */
  defer?(undo: () => Promise<void> | void): void;
}

/** A scenario that runs inside the bench process instead of against a server child. */
export interface InProcessScenario {
  id: ScenarioId;
  title: string;
  run(context: InProcessContext): Promise<ScenarioResult>;
}

/**
 * Passcode dispatches per second through SMPP: the real dispatcher (policy, breaker, attempt
 * recorded in the database, receipt applied) and a real SMPP peer on loopback, in this process.
 */
export const smppDispatch: InProcessScenario = {
  id: 'smpp-dispatch',
  title:
    'passcode SMS through the dispatcher and a real SMPP peer on loopback (submit_sm, attempt recorded, receipt applied); dispatcher, peer and load share this process',
  async run({ backend, databaseUrl, settings, databaseCpuSeconds, log }) {
    const concurrency = settings.dispatchConcurrency;
    const database = await openDatabase(databaseUrl);
    await migrateToLatest(database);
    const smsc = await startSmsc({ systemId: 'passgate', password: 'bench-smpp-password' });
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'passgate-bench-dispatch-'));
    const discard = new Writable({ write: (_chunk, _encoding, done) => done() });
    const dispatcher = createDispatcher({
      dispatch: {
        gateways: [
          smppSettings.parse({
            type: 'smpp',
            name: 'smsc',
            url: smsc.url,
            systemId: 'passgate',
            password: '{env.BENCH_SMPP_PASSWORD}',
            sender: 'Passgate',
            window: concurrency,
          }),
        ],
      },
      loadPolicies: (onInvalid) =>
        loadLoadBalancingPolicies(new PoliciesRepository(database.db, Date.now), onInvalid),
      attempts: new DeliveryAttemptsRepository(database.db, Date.now),
      // Info level, as in production: the cost of the log lines is part of a dispatch.
      logger: createLogger('info', discard),
      clock: Date.now,
      dataDir,
      env: { BENCH_SMPP_PASSWORD: 'bench-smpp-password' },
    });
    const send = () =>
      dispatcher
        .send(
          (() => {
            const code = String(Math.floor(Math.random() * 100_000_000)).padStart(8, '0');
            return {
              id: randomUUID(),
              channel: 'sms' as const,
              to: `+3361234${String(Math.floor(Math.random() * 10_000)).padStart(4, '0')}`,
              text: `Your Passgate passcode is ${code}. It is valid for 5 minutes. Never share it.`,
              code,
              language: 'en',
            };
          })(),
        )
        .then(() => {});
    try {
      await send();
      const { load, usage } = await measureInProcess(
        settings,
        databaseCpuSeconds,
        concurrency,
        Array.from({ length: concurrency }, () => ({ op: send })),
      );
      const { traces: _traces, ...measured } = load;
      await new Promise((resolve) => setTimeout(resolve, 200));
      const receipted = await database.db
        .selectFrom('delivery_attempts')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('receipt_status', '=', 'delivered')
        .executeTakeFirstOrThrow();
      log(
        `${backend}/smpp-dispatch: ${smsc.state.submits.length} submit_sm, ${receipted.n} receipts recorded`,
      );
      return {
        ...measured,
        backend,
        scenario: 'smpp-dispatch',
        title: smppDispatch.title,
        concurrency,
        ...usage,
      };
    } finally {
      await dispatcher.close();
      await smsc.close();
      await database.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
};
