import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Sessions } from '../src/engine/sessions.js';
import { loadConfig } from '../src/server/config.js';
import { composeCore } from '../src/server/core.js';
import { openDatabase } from '../src/store/database.js';
import { migrateToLatest } from '../src/store/migrate.js';
import type { InProcessScenario } from './dispatch.js';
import { runLoad } from './load.js';
import { cpuWindow } from './usage.js';

/** Live sessions in the store while lookups run (the 10,000). */
const SESSIONS = 10_000;

/**
 * What a single sign-on session costs a request: the lookup of a browser's cookie among 10,000
 * live sessions (SHA-256 of the id, one indexed read), one at a time on one core; its p50 is the
 * latency a session adds to a request (target: at most 0.3 ms).
 */
export const sessionLookup: InProcessScenario = {
  id: 'session-lookup',
  title: `single sign-on session lookup among ${SESSIONS.toLocaleString('en')} live sessions (hash, one indexed read), one at a time`,
  async run({ backend, databaseUrl, settings, databaseCpuSeconds, log }) {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'passgate-bench-sessions-'));
    mkdirSync(dataDir, { recursive: true });
    const database = await openDatabase(databaseUrl);
    await migrateToLatest(database);
    const now = Date.now();
    const config = loadConfig({ env: {}, overrides: { dataDir, database: { url: databaseUrl } } });
    const core = composeCore(config, database, () => now);
    const sessions = new Sessions(core.repositories.sessions, core.audit, config.sessions, () => now);
    const secrets: string[] = [];
    for (let i = 0; i < SESSIONS; i++) {
      const { secret } = await sessions.start({
        user: { id: `bench-user-${i % 1000}`, username: `bench-${i % 1000}` },
        amr: ['pwd'],
        mfa: false,
        address: '192.0.2.1',
        country: null,
      });
      secrets.push(secret);
    }
    let next = 0;
    const lookup = async () => {
      const found = await sessions.find(secrets[next++ % SESSIONS]);
      if (!found) throw new Error('a live session was not found');
    };
    const concurrency = 1;
    try {
      const window = cpuWindow(databaseCpuSeconds);
      const load = await runLoad(
        {
          concurrency,
          warmupMs: settings.warmupSeconds * 1000,
          durationMs: settings.seconds * 1000,
          onWindow: window.onWindow,
        },
        [{ op: lookup }],
      );
      log(
        `${backend}/session-lookup: ${load.ops} lookups among ${SESSIONS} sessions, ` +
          `${load.opsPerSecond.toFixed(0)}/s, p50 ${load.latency.p50.toFixed(3)} ms (target at most 0.3 ms); ` +
          `RSS of this process with them ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB (sessions live in the store, not in memory)`,
      );
      const { traces: _traces, ...measured } = load;
      return {
        ...measured,
        backend,
        scenario: 'session-lookup',
        title: sessionLookup.title,
        concurrency,
        ...window.usage(load),
      };
    } finally {
      await database.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
};
