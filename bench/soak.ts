import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { InProcessScenario } from './dispatch.js';
import { discoverTarget, login } from './flows.js';
import { hotpSequence, oidcOtpJourney, otpUsername } from './journeys/passgate.js';
import { summarize } from './load.js';
import type { ScenarioResult } from './report.js';
import type { BenchUser } from './scenarios.js';
import { createUsers, serverEnv, startChildServer, writeServerConfig } from './server.js';

/** Sign-ins in flight: the soak is about memory over time, not throughput. */
const CONCURRENCY = 4;
/** The checkpoint every later RSS is compared with. */
const FIRST_CHECKPOINT = 1000;
/** RSS is sampled every this many sign-ins: under load it swings between two major GCs. */
const SAMPLE_EVERY = 100;
/** How much RSS may grow from the first checkpoint to the end. */
const ALLOWED_GROWTH = 0.2;

/**
 * Memory under sustained load: a fresh server on SQLite signs users in, OIDC with the password
 * alone and with an HOTP code in turn, `BENCH_SOAK_SIGNINS` times (default 10,000); the server's
 * RSS after the first 1,000 and at the end are compared (at most 20 % growth), and after 20 s idle.
 */
export const soak: InProcessScenario = {
  id: 'soak',
  title:
    'soak: OIDC sign-ins, password and HOTP in turn, RSS of the server after the first 1,000 and at the end',
  async run({ backend, settings, log }) {
    const signIns = settings.soakSignIns;
    // A smoke run of a few hundred sign-ins compares with its first tenth instead.
    const checkpoint = Math.min(FIRST_CHECKPOINT, Math.max(1, Math.floor(signIns / 10)));
    const base = {
      backend,
      scenario: 'soak' as const,
      concurrency: CONCURRENCY,
      scryptCost: 4,
      serverCpuPercent: 0,
      benchCpuPercent: 0,
      databaseCpuPercent: 0,
      otherCpuPercent: 0,
      serverRoutes: {},
      serverLogLines: [] as string[],
      steps: {},
    };
    if (backend !== 'sqlite') {
      return {
        ...base,
        title: `${soak.title} (SQLite only)`,
        ops: 0,
        seconds: 0,
        opsPerSecond: 0,
        latency: summarize([]),
        errors: {},
        errorCount: 0,
        attempted: 0,
        serverCpuMsPerOp: 0,
        serverRssMb: 0,
        aborted: 'the soak runs on SQLite only (the embedded default the memory figures were taken on)',
      } satisfies ScenarioResult;
    }
    const dir = mkdtempSync(path.join(os.tmpdir(), 'passgate-bench-soak-'));
    const options = {
      dir,
      name: 'soak',
      databaseUrl: `sqlite:${path.join(dir, 'data', 'passgate.db')}`,
      masterKey: randomBytes(32).toString('base64'),
      mode: settings.mode,
      scryptCost: 4,
    };
    const configFile = writeServerConfig(options);
    const users: BenchUser[] = Array.from({ length: CONCURRENCY }, (_, i) => ({
      username: `soak-${i + 1}`,
      password: `soak password ${i + 1} ${randomBytes(6).toString('hex')}`,
    }));
    const env = serverEnv(options, 0);
    await createUsers(configFile, env, users);
    await oidcOtpJourney.beforeStart!({ configFile, env, metadataDir: path.join(dir, 'metadata'), users });
    const server = await startChildServer(options, configFile);
    const mb = () => Math.round(server.rssBytes() / 1048576);
    try {
      const target = await discoverTarget(server.url);
      const idleMb = mb();
      const latencies: number[] = [];
      const errors: ScenarioResult['errors'] = {};
      let started = 0;
      let firstMb = 0;
      const samples: number[] = [];
      const cpuStart = server.cpuSeconds();
      const began = performance.now();
      await Promise.all(
        users.map(async (user) => {
          const nextCode = hotpSequence(otpUsername(user));
          while (started < signIns) {
            const n = started++;
            const at = performance.now();
            try {
              if (n % 2 === 0)
                await login(target, user.username, user.password, {}, { scope: 'openid profile' });
              else
                await login(
                  target,
                  otpUsername(user),
                  user.password,
                  {},
                  { scope: 'openid profile', nextCode },
                );
              latencies.push(performance.now() - at);
            } catch (error) {
              const key = (error as { key?: string }).key ?? 'sign-in';
              errors[key] ??= { count: 0, example: (error as Error).message };
              errors[key].count++;
            }
            if (latencies.length % SAMPLE_EVERY === 0) samples.push(mb());
            if (latencies.length === checkpoint) {
              firstMb = mb();
              log(`sqlite/soak: RSS ${idleMb} MB idle, ${firstMb} MB after ${checkpoint} sign-ins`);
            }
          }
        }),
      );
      const seconds = (performance.now() - began) / 1000;
      const cpuSeconds = server.cpuSeconds() - cpuStart;
      const endMb = mb();
      await new Promise((resolve) => setTimeout(resolve, 20_000));
      const idleAfterMb = mb();
      const growth = firstMb ? (endMb - firstMb) / firstMb : 0;
      log(
        `sqlite/soak: RSS ${endMb} MB after ${latencies.length} sign-ins (${(growth * 100).toFixed(0)} % over the first ${checkpoint}), ${idleAfterMb} MB after 20 s idle; ` +
          `sampled every ${SAMPLE_EVERY}: ${samples.length ? `${Math.min(...samples)}-${Math.max(...samples)}` : '-'} MB (old generation filled between major GCs, see docs/development.md)`,
      );
      if (growth > ALLOWED_GROWTH)
        errors['memory: RSS grew'] = {
          count: 1,
          example: `${firstMb} MB after ${checkpoint} sign-ins, ${endMb} MB after ${latencies.length} (limit +${ALLOWED_GROWTH * 100} %)`,
        };
      const errorCount = Object.values(errors).reduce((n, e) => n + e.count, 0);
      return {
        ...base,
        title: `${soak.title}: RSS ${idleMb} MB idle, ${firstMb} MB after ${checkpoint}, ${endMb} MB after ${latencies.length}, ${idleAfterMb} MB 20 s later`,
        ops: latencies.length,
        seconds,
        opsPerSecond: latencies.length / seconds,
        latency: summarize(latencies),
        errors,
        errorCount,
        attempted: started,
        serverCpuPercent: (cpuSeconds / seconds) * 100,
        serverCpuMsPerOp: latencies.length ? (cpuSeconds * 1000) / latencies.length : 0,
        serverRssMb: endMb,
        serverLogLines: server.logs.slice(),
      } satisfies ScenarioResult;
    } finally {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
