import { sql } from 'kysely';
import { openDatabase } from '../src/store/database.js';
import { migrateToLatest } from '../src/store/migrate.js';
import { AdminBrowser, startAdminServer } from '../test/admin/support.js';
import type { InProcessScenario } from './dispatch.js';
import { keptStore } from './kept-store.js';
import { seedAttempts } from './monitoring-seed.js';
import { measureInProcess } from './usage.js';
import { ownDatabase, percentile } from './user-grid.js';

/** Attempts in the store (the 1,000,000; BENCH_ATTEMPTS for a quicker run). */
const ATTEMPTS = Number(process.env.BENCH_ATTEMPTS ?? 1_000_000);

/**
 * What an administrator opens on /admin/monitoring, in turn: the page as it opens (last 30 days:
 * map, chart, grid and its count), the Netherlands' drill-down (the issue's timed view), failures
 * only, failures in one country, a later page of the grid sorted by user, and one user's attempts.
 */
const VIEWS: Record<string, string> = {
  '30 days': '/admin/monitoring',
  'NL drill-down, 30 days': '/admin/monitoring?period=30d&country=NL',
  'failures, 30 days': '/admin/monitoring?period=30d&result=failures',
  'NL failures, 7 days': '/admin/monitoring?period=7d&result=failures&country=NL',
  'grid page 20 by user': '/admin/monitoring?period=30d&sort=user&dir=asc&page=20',
  'one user, 30 days': '/admin/monitoring?period=30d&user=user42',
};

/**
 * The monitoring page as users feel it (issue 17): HTTP GETs of /admin/monitoring from a signed-in
 * administrator to a real server holding {@link ATTEMPTS} sign-in attempts over 180 days, one at
 * a time, a mix of {@link VIEWS}; target p95 at most 300 ms for the map plus a country's
 * drill-down over 30 days. The server runs in this process: the CPU per request is the server's
 * and the client's together (the database's own, for PostgreSQL, beside it).
 */
export const monitoringPage: InProcessScenario = {
  id: 'monitoring',
  title: `/admin/monitoring over ${ATTEMPTS.toLocaleString('en')} sign-in attempts (HTTP, one request at a time, ${Object.keys(VIEWS).length} views in turn)`,
  async run({ backend, databaseUrl, masterKey, settings, databaseCpuSeconds, log }) {
    // With BENCH_STORE_DIR, a copy of the store seeded once and kept there; else seeded now.
    const own = settings.storeDir
      ? await keptStore({
          backend,
          runUrl: databaseUrl,
          storeDir: settings.storeDir,
          name: `monitoring_${ATTEMPTS}`,
          seed: (db) => seedAttempts(db, ATTEMPTS, Date.now()),
          log,
        })
      : await ownDatabase(backend, databaseUrl, 'monitoring');
    let server: Awaited<ReturnType<typeof startAdminServer>> | undefined;
    try {
      if (!settings.storeDir) {
        const database = await openDatabase(own.url);
        try {
          await migrateToLatest(database);
          const seeding = performance.now();
          await seedAttempts(database.db, ATTEMPTS, Date.now());
          // As autovacuum (PostgreSQL) or `PRAGMA optimize` would have by then.
          await sql.raw(backend === 'postgres' ? 'vacuum analyze' : 'analyze').execute(database.db);
          log(
            `${backend}/monitoring: seeded ${ATTEMPTS} attempts in ${((performance.now() - seeding) / 1000).toFixed(0)} s`,
          );
        } finally {
          await database.close();
        }
      }
      // The bench's mode (production unless BENCH_MODE says otherwise), as deployments run:
      // production compiles each page's templates once, development on every request.
      server = await startAdminServer({
        databaseUrl: own.url,
        config: {
          mode: settings.mode,
          secrets: { masterKey },
          ...(settings.mode === 'production' ? { dispatch: { gateways: [] } } : {}),
        },
      });
      const admin = new AdminBrowser(server);
      await admin.signIn('ada');
      const names = Object.keys(VIEWS);
      const perView = names.map(() => [] as number[]);
      // CPU per request and view: this process's (server and client) and PostgreSQL's, summed.
      const cpuPerView = names.map(() => ({ process: 0, database: 0, requests: 0 }));
      // Each view once before the clock runs (the map's projection, the statements' plans).
      for (const path of Object.values(VIEWS)) await admin.open(path);
      let turn = 0;
      const op = async () => {
        const i = turn++ % names.length;
        // The cluster's CPU read outside this process's window (reading it takes CPU here).
        const database = databaseCpuSeconds();
        const cpu = process.cpuUsage();
        const started = performance.now();
        const page = await admin.open(VIEWS[names[i]!]!);
        if (page.status !== 200) throw new Error(`${VIEWS[names[i]!]} answered ${page.status}`);
        perView[i]!.push(performance.now() - started);
        const used = process.cpuUsage(cpu);
        const spent = cpuPerView[i]!;
        spent.process += (used.user + used.system) / 1000;
        spent.database += (databaseCpuSeconds() - database) * 1000;
        spent.requests++;
      };
      const { load, usage } = await measureInProcess(settings, databaseCpuSeconds, 1, [{ op }]);
      log(
        `${backend}/monitoring: ${load.ops} requests, p50 ${load.latency.p50.toFixed(0)} ms, p95 ${percentile(perView.flat(), 95).toFixed(0)} ms; ` +
          names
            .map(
              (name, i) =>
                `${name}: p50 ${percentile(perView[i]!, 50).toFixed(0)} / p95 ${percentile(perView[i]!, 95).toFixed(0)} ms, ` +
                `CPU ${cpuText(cpuPerView[i]!, backend)} per request`,
            )
            .join('; ') +
          ` (target p95 at most 300 ms for the NL drill-down)`,
      );
      const { traces: _traces, ...measured } = load;
      return {
        ...measured,
        backend,
        scenario: 'monitoring',
        title: monitoringPage.title,
        concurrency: 1,
        ...usage,
      };
    } finally {
      await server?.close();
      await own.drop();
    }
  },
};

/** A view's mean CPU per request: this process's, and PostgreSQL's beside it. */
function cpuText(spent: { process: number; database: number; requests: number }, backend: string): string {
  const mean = (ms: number) => (spent.requests ? ms / spent.requests : 0).toFixed(0);
  return backend === 'postgres'
    ? `${mean(spent.process)} + ${mean(spent.database)} ms (database)`
    : `${mean(spent.process)} ms`;
}
