import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/server/config.js';
import { type Core, composeCore } from '../src/server/core.js';
import { openDatabase } from '../src/store/database.js';
import { migrateToLatest } from '../src/store/migrate.js';
import { oathToken } from '../src/tokens/enrol.js';
import { matchTotp, timeStep, totpCode } from '../src/tokens/oath.js';
import type { InProcessScenario } from './dispatch.js';
import { measureInProcess } from './usage.js';

/** Tokens verified in turn; each accepts one code per time step, so the clock moves a step per round. */
const TOKENS = 2000;
const SECRET = Buffer.from('12345678901234567890');

/**
 * TOTP verifications per second through the engine: SecondFactor.verify with a fresh valid code
 * (token lookup, growing-delay and per-user throttle checks, secret unsealed, HMAC window, the
 * atomic acceptance UPDATE, audit record), on one core, against the backend's database: first
 * one verification at a time, then `BENCH_TOTP_CONCURRENCY` users verifying at once (the result).
 */
export const totpVerify: InProcessScenario = {
  id: 'totp-verify',
  title:
    'TOTP verification in the engine, many users at once (BENCH_TOTP_CONCURRENCY, default 32): valid code, throttle checks, secret unsealed, atomic acceptance, audit',
  async run({ backend, databaseUrl, settings, databaseCpuSeconds, log }) {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'passgate-bench-totp-'));
    const database = await openDatabase(databaseUrl);
    await migrateToLatest(database);
    let now = Date.UTC(2026, 10, 28, 12, 0, 0);
    const config = loadConfig({ env: {}, overrides: { dataDir, database: { url: databaseUrl } } });
    const core: Core = composeCore(config, database, () => now);
    const users: Awaited<ReturnType<Core['users']['create']>>[] = [];
    for (let i = 0; i < TOKENS; i++) users.push(await core.users.create({ username: `totp-bench-${i}` }));
    await core.tokens.createMany(
      users.map((u) => oathToken({ userId: u.id, label: u.username, type: 'totp', secret: SECRET })),
    );
    const tokenIds = await Promise.all(users.map(async (u) => (await core.tokens.listByUser(u.id))[0]!.id));
    const params = { algorithm: 'SHA1', digits: 6 } as const;
    let next = 0;
    let code = totpCode(SECRET, timeStep(now, 30), 30, params);
    const context = { address: '192.0.2.1', door: 'bench' };
    const verify = async () => {
      const i = next++ % TOKENS;
      if (i === TOKENS - 1) {
        // Every token used this step's code: the next round is a step later.
        now += 30_000;
        code = totpCode(SECRET, timeStep(now, 30), 30, params);
      }
      await core.secondFactor.verify({ user: users[i]!, response: code, context, tokenId: tokenIds[i]! });
    };
    try {
      // One at a time (every verification commits alone), then many users at once (their
      // acceptances and audit records share commits); each verification is durable before it returns.
      const measure = (concurrency: number) =>
        measureInProcess(
          settings,
          databaseCpuSeconds,
          concurrency,
          Array.from({ length: concurrency }, () => ({ op: verify })),
        );
      const alone = await measure(1);
      const concurrency = settings.totpConcurrency;
      const { load, usage } = await measure(concurrency);
      const hmacPerSecond = hmacBaseline();
      const matchPerSecond = matchBaseline(code, timeStep(now, 30));
      const figures = (run: { load: { opsPerSecond: number }; usage: { serverCpuMsPerOp: number } }) =>
        `${run.load.opsPerSecond.toFixed(0)}/s (${(run.usage.serverCpuMsPerOp * 1000).toFixed(0)} µs of CPU each)`;
      const summary = `one at a time ${figures(alone)}, ${concurrency} at once ${figures({ load, usage })}`;
      log(
        `${backend}/totp-verify: ${alone.load.ops + load.ops} verifications. On this core: HMAC-SHA1 alone ${Math.round(hmacPerSecond)}/s; ` +
          `the verification arithmetic alone (window ±1, three HMACs, constant-time compare) ${Math.round(matchPerSecond)}/s; ` +
          `the whole engine step, durable before it returns: ${summary}`,
      );
      const { traces: _traces, ...measured } = load;
      return {
        ...measured,
        steps: { 'one at a time': alone.load.latency, [`${concurrency} at once`]: load.latency },
        backend,
        scenario: 'totp-verify',
        title: `${totpVerify.title}: ${summary}`,
        concurrency,
        ...usage,
      };
    } finally {
      await database.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
};

/** matchTotp calls per second: the arithmetic of one verification without the store. */
function matchBaseline(code: string, step: number): number {
  const started = performance.now();
  let n = 0;
  while (performance.now() - started < 500) {
    for (let i = 0; i < 100; i++) matchTotp(SECRET, code, step, 1, 30, { algorithm: 'SHA1', digits: 6 });
    n += 100;
  }
  return n / ((performance.now() - started) / 1000);
}

/** HMAC-SHA1 computations per second of an 8-byte counter on this core (the yardstick). */
function hmacBaseline(): number {
  const counter = Buffer.alloc(8);
  const started = performance.now();
  let n = 0;
  while (performance.now() - started < 500) {
    for (let i = 0; i < 1000; i++) createHmac('sha1', SECRET).update(counter).digest();
    n += 1000;
  }
  return n / ((performance.now() - started) / 1000);
}
