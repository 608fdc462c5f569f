// The monitoring benchmark (issue 17): with 1,000,000 sign-in attempts in the store, the world map
// plus one country's drill-down for a 30-day filter (target p95 at most 300 ms on SQLite and on
// PostgreSQL), and what recording an attempt adds to a sign-in (target at most 0.2 ms).
// Run: npx tsx bench/monitoring.ts [sqlite|postgres ...]; BENCH_ATTEMPTS changes the count.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { ATTEMPT_RESULTS } from '../src/attempts/results.js';
import { AttemptWriter } from '../src/attempts/writer.js';
import { openCountryLookup } from '../src/geo/country-lookup.js';
import { WorldMap } from '../src/monitoring/world-map.js';
import { loadConfig } from '../src/server/config.js';
import { openDatabase } from '../src/store/database.js';
import { migrateToLatest } from '../src/store/migrate.js';
import { AttemptStatisticsRepository } from '../src/store/repositories/attempt-statistics.js';
import { SignInAttemptsRepository } from '../src/store/repositories/sign-in-attempts.js';
import { freePort } from '../test/support/free-port.js';
import { startCluster, stopCluster } from '../test/support/postgres-cluster.js';
import { SEEDED_DAYS, seedAttempts } from './monitoring-seed.js';

const ATTEMPTS = Number(process.env.BENCH_ATTEMPTS ?? 1_000_000);
const DAYS = SEEDED_DAYS;
const DAY = 86_400_000;
const RUNS = 20;

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};

async function measure(backend: string, url: string): Promise<void> {
  const database = await openDatabase(url);
  await migrateToLatest(database);
  const now = Date.now();
  let started = performance.now();
  await seedAttempts(database.db, ATTEMPTS, now);
  // As autovacuum (PostgreSQL) or `PRAGMA optimize` would have by then: statistics, and on
  // PostgreSQL the visibility map that lets a scan read the index alone.
  await sql.raw(backend === 'postgres' ? 'vacuum analyze sign_in_attempts' : 'analyze').execute(database.db);
  const seedSeconds = (performance.now() - started) / 1000;
  const statistics = new AttemptStatisticsRepository(database.db);
  const map = new WorldMap();
  map.countries();
  const views = {
    'map + NL drill-down, 30 days': { from: now - 30 * DAY, to: now + 1 },
    'failures only, 30 days': {
      from: now - 30 * DAY,
      to: now + 1,
      results: ATTEMPT_RESULTS.filter((r) => r !== 'success'),
    },
  };
  console.log(
    `${backend}: ${ATTEMPTS.toLocaleString('en')} attempts over ${DAYS} days seeded in ${seedSeconds.toFixed(0)} s`,
  );
  for (const [name, filter] of Object.entries(views)) {
    const times: number[] = [];
    const parts = { map: [] as number[], drill: [] as number[] };
    for (let run = 0; run < RUNS + 3; run++) {
      started = performance.now();
      const { counts, marked } = await statistics.map(filter);
      map.render({ counts, marked, href: (code) => `?country=${code}` });
      const mapMs = performance.now() - started;
      // The drill-down's breakdowns and its chart's counts come from one read.
      await statistics.drillDown({ ...filter, country: 'NL' });
      const total = performance.now() - started;
      if (run < 3) continue; // warm-up
      times.push(total);
      parts.map.push(mapMs);
      parts.drill.push(total - mapMs);
    }
    console.log(
      `${backend}: ${name}: p50 ${percentile(times, 50).toFixed(0)} ms, p95 ${percentile(times, 95).toFixed(0)} ms ` +
        `(map p95 ${percentile(parts.map, 95).toFixed(0)} ms, drill-down p95 ${percentile(parts.drill, 95).toFixed(0)} ms; target p95 at most 300 ms)`,
    );
  }

  // What a sign-in pays: record() on its path; the batch insert runs later, its CPU spread over the batch.
  const config = loadConfig({ env: {} });
  const writer = new AttemptWriter(
    new SignInAttemptsRepository(database.db),
    openCountryLookup(config.geo),
    { queueSize: 10_000, batchSize: 500, flushMilliseconds: 1000 },
    () => Date.now(),
  );
  const origin = { address: '145.100.1.1', door: 'oidc', application: 'portal' };
  const decision = { rule: 'default', action: 'mfa', facts: { country: 'NL', newCountry: false } };
  const records: number[] = [];
  const count = 20_000;
  let flushMs = 0;
  const cpu = process.cpuUsage();
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    writer.record({
      origin,
      user: { id: `u${i}`, name: `user${i}` },
      result: 'success',
      decision,
      method: 'totp',
    });
    records.push(performance.now() - t);
    if (writer.pending >= 500) {
      const f = performance.now();
      await writer.flush();
      flushMs += performance.now() - f;
    }
  }
  const f = performance.now();
  await writer.flush();
  flushMs += performance.now() - f;
  const used = process.cpuUsage(cpu);
  const recordMs = records.reduce((a, b) => a + b, 0);
  // This process's CPU for the inserts (building and sending them); the database's own work is its own.
  const perAttemptInsert = ((used.user + used.system) / 1000 - recordMs) / count;
  const perAttemptWall = flushMs / count;
  console.log(
    `${backend}: recording an attempt: record() p50 ${(percentile(records, 50) * 1000).toFixed(1)} µs, p99 ${(percentile(records, 99) * 1000).toFixed(1)} µs on the sign-in's path; ` +
      `the batch inserts (500 rows each) ${(perAttemptInsert * 1000).toFixed(1)} µs of this process's CPU per attempt, in the background ` +
      `(${(perAttemptWall * 1000).toFixed(1)} µs wall-clock with the database's work); ` +
      `together ${(percentile(records, 50) + perAttemptInsert).toFixed(3)} ms per sign-in (target at most 0.2 ms)`,
  );
  await database.close();
}

const backends = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['sqlite', 'postgres'];
for (const backend of backends) {
  const dir = mkdtempSync(path.join(os.tmpdir(), `passgate-bench-monitoring-${backend}-`));
  try {
    if (backend === 'sqlite') await measure(backend, `sqlite:${path.join(dir, 'passgate.db')}`);
    else {
      // A folder of its own: the cluster script hands it to the postgres user.
      const url = startCluster(dir, await freePort());
      try {
        await measure(backend, url);
      } finally {
        stopCluster(dir, true);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
