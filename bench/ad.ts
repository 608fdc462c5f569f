import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AdDirectory } from '../src/directory/ad/ad-directory.js';
import { AdConnector } from '../src/directory/ad/connector.js';
import { AdSync } from '../src/directory/ad/sync.js';
import { FirstFactor } from '../src/engine/first-factor.js';
import { Throttle } from '../src/engine/throttle.js';
import { SeatRules } from '../src/licences/rules.js';
import { Seats } from '../src/licences/seats.js';
import { createLogger } from '../src/observability/logger.js';
import { type Config, loadConfig } from '../src/server/config.js';
import { type Database, openDatabase } from '../src/store/database.js';
import { migrateToLatest } from '../src/store/migrate.js';
import { AuditRepository } from '../src/store/repositories/audit.js';
import { DirectoryStateRepository } from '../src/store/repositories/directory-state.js';
import { DirectoryUsersRepository } from '../src/store/repositories/directory-users.js';
import { SeatsRepository } from '../src/store/repositories/seats.js';
import { ThrottleRepository } from '../src/store/repositories/throttle.js';
import { UsersRepository } from '../src/store/repositories/users.js';
import {
  type AdUser,
  bulkUsers,
  createOu,
  createUser,
  DEFAULT_PASSWORD,
  dcStatus,
  holdDc,
  type SambaDc,
  serve,
} from '../test/support/samba/index.js';
import type { InProcessContext, InProcessScenario } from './dispatch.js';
import { runLoad, summarize } from './load.js';
import { abortedScenario, type ScenarioResult } from './report.js';
import { machineBusySeconds, processTreeCpuSeconds } from './server.js';
import type { ScenarioId } from './settings.js';

/** The service account's password reaches the directory through this variable, as in production. */
const PASSWORD_ENV = 'PASSGATE_BENCH_AD_PASSWORD';
/** Full imports measured per backend (into an emptied user table each time). */
const IMPORTS = 3;
/** Users with a password for the login scenario (round robin). */
const LOGIN_USERS = 20;
/** A tag of this bench run: OUs and account names are new even on a DC that outlives the run. */
const TAG = randomBytes(2).toString('hex');

/** The DC the AD scenarios share, and the samba process whose CPU is reported. */
interface BenchDc {
  dc: SambaDc;
  sambaPid: number | undefined;
}

let shared: Promise<BenchDc> | undefined;

/**
 * A running DC given as JSON in BENCH_SAMBA or PASSGATE_TEST_SAMBA (what `npx tsx
 * test/support/samba/cli.ts start` prints), else one started here from the cached provision
 * (stopped when the bench ends).
 */
function benchDc(context: InProcessContext): Promise<BenchDc> {
  shared ??= (async () => {
    const given = process.env.BENCH_SAMBA || process.env.PASSGATE_TEST_SAMBA;
    if (given) {
      const dc = JSON.parse(given) as SambaDc;
      const pid = dc.controlUrl ? ((await dcStatus(dc)).pid ?? undefined) : undefined;
      context.log(`AD: using the running DC at ${dc.url}`);
      return { dc, sambaPid: pid };
    }
    const began = performance.now();
    const served = await serve();
    context.defer?.(() => served.close().then(() => {}));
    context.log(`AD: started a Samba AD DC at ${served.details.url} in ${ms(began)} ms`);
    return { dc: served.details, sambaPid: served.pid };
  })();
  shared.catch(() => {
    shared = undefined;
  });
  return shared;
}

const populations = new Map<string, Promise<{ ous: string[]; users: AdUser[]; groups?: string[] }>>();
/** Users per LDIF: one ldapmodify must end within the harness's time limit (2 min) on a busy machine. */
const PER_LDIF = 2000;

/** `count` users by LDIF (a few OUs of 2,000), created once per bench run and shared by both backends. */
function population(dc: SambaDc, count: number, log: (line: string) => void) {
  const key = `bulk:${count}`;
  if (!populations.has(key)) {
    populations.set(
      key,
      (async () => {
        const began = performance.now();
        const ous: string[] = [];
        const users: AdUser[] = [];
        const groups: string[] = [];
        for (let i = 0; i * PER_LDIF < count; i++) {
          const n = Math.min(PER_LDIF, count - i * PER_LDIF);
          // Each OU's users are members of its group `<prefix>-all`: the seat rules' groups.
          const bulk = await bulkUsers(dc, n, `bs${TAG}${i.toString(36).padStart(2, '0')}`, { group: true });
          ous.push(bulk.ou);
          if (bulk.group) groups.push(bulk.group.name);
          users.push(...bulk.users);
        }
        log(`AD: ${count} users created by LDIF (${ous.length} OUs) in ${ms(began)} ms`);
        return { ous, users, groups };
      })(),
    );
  }
  return populations.get(key)!;
}

/** A few users with a password, who can bind. */
function loginUsers(dc: SambaDc) {
  const key = 'login';
  if (!populations.has(key)) {
    populations.set(
      key,
      (async () => {
        const ou = await createOu(dc, `bl${TAG}`);
        const users: AdUser[] = [];
        for (let i = 1; i <= LOGIN_USERS; i++)
          users.push(
            await createUser(dc, { sam: `bl${TAG}${String(i).padStart(2, '0')}`, container: ou.dn }),
          );
        return { ous: [ou.dn], users };
      })(),
    );
  }
  return populations.get(key)!;
}

/** Passgate's settings with AD as the directory (the Administrator as the service account). */
function adConfig(dc: SambaDc, databaseUrl: string, dataDir: string, baseDns: string[]): Config {
  process.env[PASSWORD_ENV] = dc.adminPassword;
  return loadConfig({
    env: {},
    overrides: {
      dataDir,
      database: { url: databaseUrl },
      directory: {
        type: 'ad',
        urls: [dc.url],
        caFile: dc.caFile,
        baseDn: dc.baseDn,
        bindDn: dc.adminDn,
        bindPasswordEnv: PASSWORD_ENV,
        netbiosDomain: dc.domain,
        sync: { baseDns, defaultCountry: 'DE' },
      },
    },
  });
}

/** The AD plug-in's parts over an open database, and how to close them. */
async function adParts(context: InProcessContext, dc: SambaDc, baseDns: string[], seatGroups: string[] = []) {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'passgate-bench-ad-'));
  const config = adConfig(dc, context.databaseUrl, dataDir, baseDns);
  if (config.directory.type !== 'ad') throw new Error('unreachable');
  const database: Database = await openDatabase(context.databaseUrl);
  await migrateToLatest(database);
  const clock = Date.now;
  const connector = new AdConnector(config.directory, dc.adminPassword, createLogger('silent'));
  const users = new UsersRepository(database.db, clock);
  const directoryUsers = new DirectoryUsersRepository(database.db, clock);
  // licences.rules: every member of the population's groups gets an MFA seat, at every run.
  const silent = createLogger('silent');
  const audit = new AuditRepository(database.db, clock);
  const seatsRepository = new SeatsRepository(database.db);
  const seats = new Seats({ repository: seatsRepository, audit, clock, logger: silent });
  const rules = seatGroups.map((group) => ({ pool: 'mfa' as const, group }));
  const seatRules = new SeatRules(seats, seatsRepository, rules, audit, silent);
  return {
    config,
    database,
    users,
    sync: new AdSync(
      config.directory,
      connector,
      directoryUsers,
      new DirectoryStateRepository(database.db, clock),
      clock,
      undefined,
      rules.length > 0 ? () => seatRules.apply() : undefined,
    ),
    directory: new AdDirectory(config.directory, connector, users, clock),
    clock,
    close: async () => {
      await connector.close();
      await database.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** CPU counters over a stretch of time: this process, the database server, samba, the machine. */
function cpuMeter(context: InProcessContext, sambaPid: number | undefined) {
  const samba = () => (sambaPid ? processTreeCpuSeconds(sambaPid) : 0);
  const start = {
    process: process.cpuUsage(),
    database: context.databaseCpuSeconds(),
    samba: samba(),
    machine: machineBusySeconds(),
  };
  return () => {
    const own = process.cpuUsage(start.process);
    return {
      process: (own.user + own.system) / 1e6,
      database: context.databaseCpuSeconds() - start.database,
      samba: samba() - start.samba,
      machine: machineBusySeconds() - start.machine,
    };
  };
}

/** A result for a scenario that could not run (no Samba on the machine ...), instead of a crash. */
function aborted(
  context: InProcessContext,
  scenario: ScenarioId,
  title: string,
  error: unknown,
): ScenarioResult {
  const rss = Math.round(process.memoryUsage().rss / 1048576);
  return abortedScenario(context, { id: scenario, title, concurrency: 1, scryptCost: 0 }, error, rss);
}

/**
 * Synchronised users per second: full AD syncs of N users created by LDIF (BENCH_AD_SYNC_USERS),
 * each into an emptied user table, through the real DC (paged LDAPS searches, group index,
 * mapping, E.164, one transaction per page); then one more full run that finds them all unchanged.
 */
export const adSync: InProcessScenario = {
  id: 'ad-sync',
  title: `AD full sync of N users from a real Samba DC (LDAPS paged search, mapping, stored a page per transaction, then the licences.rules giving each group member an MFA seat); ops = users, latency = one whole run (${IMPORTS} imports)`,
  async run(context) {
    const { backend, settings, log } = context;
    const count = settings.adSyncUsers;
    let parts: Awaited<ReturnType<typeof adParts>> | undefined;
    let release: (() => Promise<void>) | undefined;
    try {
      const { dc, sambaPid } = await benchDc(context);
      release = await holdDc(dc, 'shared').catch(() => async () => {});
      const { ous, groups } = await population(dc, count, log);
      parts = await adParts(context, dc, ous, groups);
      const { database, sync } = parts;
      const empty = async () => {
        await database.db.deleteFrom('users').where('source', '=', 'ad').execute();
        await database.db.deleteFrom('directory_state').execute();
      };
      const durations: number[] = [];
      const errors: ScenarioResult['errors'] = {};
      let errorCount = 0;
      const meter = cpuMeter(context, sambaPid);
      for (let i = 0; i < IMPORTS; i++) {
        await empty();
        const summary = await sync.run({ full: true });
        durations.push(summary.durationMs);
        const seated = summary.seats?.[0]?.allocated ?? 0;
        if (summary.created !== count || summary.problems.length > 0 || seated !== count) {
          errorCount++;
          errors.import = {
            count: (errors.import?.count ?? 0) + 1,
            example: `created ${summary.created} of ${count}, ${summary.problems.length} problems, ${seated} MFA seats by rule`,
          };
        }
        log(
          `${backend}/ad-sync: import ${i + 1}: ${count} users in ${summary.durationMs} ms (${Math.round(count / (summary.durationMs / 1000))}/s), ${seated} MFA seats given by the group rules`,
        );
      }
      const cpu = meter();
      const again = await sync.run({ full: true });
      log(
        `${backend}/ad-sync: a full run over the same ${count} users, all unchanged: ${again.durationMs} ms ` +
          `(${Math.round(count / (again.durationMs / 1000))}/s; unchanged ${again.unchanged}; seat rules: ${again.seats?.[0]?.allocated ?? 0} given, ${again.seats?.[0]?.released ?? 0} taken back)`,
      );
      const seconds = durations.reduce((a, b) => a + b, 0) / 1000;
      const median = [...durations].sort((a, b) => a - b)[Math.floor(durations.length / 2)]!;
      log(
        `${backend}/ad-sync: CPU over the imports: this process ${pct(cpu.process, seconds)}, samba ${pct(cpu.samba, seconds)}, ` +
          `database ${backend === 'postgres' ? pct(cpu.database, seconds) : '(in-process)'}, machine ${pct(cpu.machine, seconds)}`,
      );
      return {
        backend,
        scenario: 'ad-sync',
        title: adSync.title,
        concurrency: 1,
        scryptCost: 0,
        ops: count * IMPORTS,
        seconds,
        opsPerSecond: count / (median / 1000),
        latency: summarize(durations),
        steps: {},
        errors,
        errorCount,
        attempted: IMPORTS,
        serverCpuPercent: (cpu.process / seconds) * 100,
        benchCpuPercent: 0,
        databaseCpuPercent: (cpu.database / seconds) * 100,
        otherCpuPercent: Math.max(0, ((cpu.machine - cpu.process - cpu.database) / seconds) * 100),
        serverCpuMsPerOp: (cpu.process * 1000) / (count * IMPORTS),
        serverRssMb: Math.round(process.memoryUsage().rss / 1048576),
        serverRoutes: {},
        serverLogLines: [],
      };
    } catch (error) {
      return aborted(context, 'ad-sync', adSync.title, error);
    } finally {
      await parts?.close();
      await release?.();
    }
  },
};

/**
 * Sign-in latency with an AD bind: FirstFactor.authenticate (throttle, the lockout rule read from
 * the domain, the user found by the service account, the bind on a connection of its own, nested
 * groups, the user refreshed in the store, the audit record), one sign-in at a time.
 */
export const adLogin: InProcessScenario = {
  id: 'ad-login',
  title:
    'AD sign-in through the first factor, one at a time: lockout rule, user search, LDAPS bind on its own connection, nested groups, store refresh, audit',
  async run(context) {
    const { backend, settings, log } = context;
    let parts: Awaited<ReturnType<typeof adParts>> | undefined;
    let release: (() => Promise<void>) | undefined;
    try {
      const { dc, sambaPid } = await benchDc(context);
      release = await holdDc(dc, 'shared').catch(() => async () => {});
      const { ous, users } = await loginUsers(dc);
      parts = await adParts(context, dc, ous);
      const { database, directory, config, clock } = parts;
      const firstFactor = new FirstFactor(
        directory,
        new Throttle(new ThrottleRepository(database.db), clock),
        new AuditRepository(database.db, clock),
        config.loginThrottle,
      );
      let next = 0;
      const signIn = async () => {
        const user = users[next++ % users.length]!;
        await firstFactor.authenticate(user.upn, DEFAULT_PASSWORD, { address: '192.0.2.10', door: 'bench' });
      };
      await signIn(); // a broken set-up fails here, with its reason
      let meter = cpuMeter(context, sambaPid);
      let cpu = meter();
      const load = await runLoad(
        {
          concurrency: 1,
          warmupMs: settings.warmupSeconds * 1000,
          durationMs: settings.seconds * 1000,
          onWindow: (edge) => {
            if (edge === 'start') meter = cpuMeter(context, sambaPid);
            else cpu = meter();
          },
        },
        [{ op: signIn }],
      );
      log(
        `${backend}/ad-login: ${load.ops} sign-ins, p50 ${load.latency.p50} ms, p99 ${load.latency.p99} ms; ` +
          `CPU per sign-in: this process ${ms1((cpu.process * 1000) / Math.max(1, load.ops))} ms, samba ${ms1((cpu.samba * 1000) / Math.max(1, load.ops))} ms`,
      );
      const { traces: _traces, ...measured } = load;
      return {
        ...measured,
        backend,
        scenario: 'ad-login',
        title: adLogin.title,
        concurrency: 1,
        scryptCost: 0,
        serverCpuPercent: (cpu.process / load.seconds) * 100,
        benchCpuPercent: 0,
        databaseCpuPercent: (cpu.database / load.seconds) * 100,
        otherCpuPercent: Math.max(0, ((cpu.machine - cpu.process - cpu.database) / load.seconds) * 100),
        serverCpuMsPerOp: load.ops ? (cpu.process * 1000) / load.ops : 0,
        serverRssMb: Math.round(process.memoryUsage().rss / 1048576),
        serverRoutes: {},
        serverLogLines: [],
      };
    } catch (error) {
      return aborted(context, 'ad-login', adLogin.title, error);
    } finally {
      await parts?.close();
      await release?.();
    }
  },
};

function ms(since: number): number {
  return Math.round(performance.now() - since);
}

function ms1(value: number): string {
  return value.toFixed(1);
}

function pct(seconds: number, over: number): string {
  return `${Math.round((seconds / over) * 100)}%`;
}
