import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from '../test/support/free-port.js';
import { startCluster, stopCluster } from '../test/support/postgres-cluster.js';
import { attributeIntervals, type Interval, monotonicUs, summarizeProfile } from './cpuprofile.js';
import { discoverTarget } from './flows.js';
import { type OpTrace, runLoad } from './load.js';
import { formatPeerRatios, peerRatios } from './peers/report.js';
import { runPeers } from './peers/run.js';
import {
  abortedFigures,
  formatProfile,
  formatReport,
  KEYCLOAK_2VCPU,
  ratios,
  type ScenarioResult,
  TARGETS,
} from './report.js';
import { type BenchUser, IN_PROCESS_SCENARIOS, SCENARIOS, type Scenario } from './scenarios.js';
import {
  type ChildServer,
  createUsers,
  machineBusySeconds,
  mainThreadProfile,
  processTreeCpuSeconds,
  REPO_ROOT,
  type RouteTimes,
  scrapeRouteTimes,
  serverCodeSource,
  serverEnv,
  startChildServer,
  writeServerConfig,
} from './server.js';
import { type BackendId, type BenchSettings, readSettings, SETTINGS_HELP } from './settings.js';

/** Things to undo if the run is interrupted or fails: servers, the PostgreSQL cluster, folders. */
const cleanups: Array<() => Promise<void> | void> = [];

async function cleanUp(): Promise<void> {
  for (const undo of cleanups.splice(0).reverse()) {
    try {
      await undo();
    } catch (error) {
      console.error(`clean-up failed: ${(error as Error).message}`);
    }
  }
}

function log(line: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

/** A backend's database for the run, and the CPU its own processes use (PostgreSQL only). */
interface Provisioned {
  url: string;
  /** CPU seconds used so far by the database server's processes; 0 when it runs in-process. */
  cpuSeconds(): number;
}

async function provisionBackend(backend: BackendId, root: string, storeDir?: string): Promise<Provisioned> {
  if (backend === 'sqlite') {
    // The in-process scenarios open it before any server start would create the folder.
    mkdirSync(path.join(root, 'data'), { recursive: true });
    return { url: `sqlite:${path.join(root, 'data', 'passgate.db')}`, cpuSeconds: () => 0 };
  }
  // A folder of its own (the cluster script hands it to the postgres user); with BENCH_STORE_DIR
  // a cluster kept between runs, holding the stores seeded once, and a database of this run's.
  const clusterDir = storeDir
    ? path.join(storeDir, 'postgres')
    : mkdtempSync(path.join(os.tmpdir(), 'passgate-bench-pg-'));
  const clusterUrl = startCluster(clusterDir, await freePort());
  cleanups.push(() => stopCluster(clusterDir, !storeDir));
  let url = clusterUrl;
  if (storeDir) {
    const name = `bench_${process.pid}_${Date.now()}`;
    await clusterStatement(clusterUrl, `create database ${name}`);
    cleanups.push(() => clusterStatement(clusterUrl, `drop database if exists ${name} with (force)`));
    const own = new URL(clusterUrl);
    own.pathname = `/${name}`;
    url = own.toString();
  }
  const postmaster = Number(
    readFileSync(path.join(clusterDir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0],
  );
  return { url, cpuSeconds: () => processTreeCpuSeconds(postmaster) };
}

/** Runs one statement on a PostgreSQL cluster (create or drop a database). */
async function clusterStatement(url: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/** Runs the selected scenarios on one backend: one server start per password-hash cost. */
async function runBackend(backend: BackendId, settings: BenchSettings): Promise<ScenarioResult[]> {
  const root = mkdtempSync(path.join(os.tmpdir(), `passgate-bench-${backend}-`));
  cleanups.push(() => rmSync(root, { recursive: true, force: true }));
  const database = await provisionBackend(backend, root, settings.storeDir);
  const databaseUrl = database.url;
  log(`${backend}: database ${databaseUrl.replace(/\/\/[^@]*@/, '//')}`);
  const masterKey = randomBytes(32).toString('base64');
  const results: ScenarioResult[] = [];

  const selected = SCENARIOS.filter((s) => settings.scenarios.includes(s.id));
  const costs = [...new Set(selected.map((s) => s.scryptCost))].sort((a, b) => b - a);
  for (const cost of costs) {
    const scenarios = selected.filter((s) => s.scryptCost === cost);
    const name = `${backend}-cost${cost}`;
    const options = {
      dir: root,
      name,
      databaseUrl,
      masterKey,
      mode: settings.mode,
      scryptCost: cost,
      ...(settings.profile ? { profileDir: path.resolve(REPO_ROOT, 'test-output', 'profiles') } : {}),
      ...(settings.workers ? { workers: settings.workers } : {}),
    };
    const configFile = writeServerConfig(options);
    const userCount = Math.max(settings.loginConcurrency, settings.grantConcurrency);
    const users: BenchUser[] = Array.from({ length: userCount }, (_, i) => ({
      username: `bench${cost}-${String(i + 1).padStart(2, '0')}`,
      password: `bench password ${i + 1} ${randomBytes(6).toString('hex')}`,
    }));
    const hashing = performance.now();
    await createUsers(configFile, serverEnv(options, 0), users);
    log(`${name}: ${users.length} users hashed at scryptCost ${cost} in ${ms(hashing)} ms`);
    const setup = { configFile, env: serverEnv(options, 0), metadataDir: path.join(root, 'metadata'), users };
    for (const scenario of scenarios) await scenario.beforeStart?.(setup);

    const starting = performance.now();
    const code = serverCodeSource(settings.profile);
    const server = await startChildServer(options, configFile);
    const stopServer = () => server.stop();
    cleanups.push(stopServer);
    log(
      `${name}: server pid ${server.pid} (${code}, ${server.processCount()} processes) ready at ${server.url} in ${ms(starting)} ms`,
    );
    const windows: Array<{ result: ScenarioResult; from: number; to: number; intervals: Interval[] }> = [];
    try {
      const target = await discoverTarget(server.url);
      for (const scenario of scenarios) {
        const outcome = await runScenario(backend, scenario, settings, server, database, target, users);
        outcome.result.serverCode = code;
        results.push(outcome.result);
        windows.push(outcome);
      }
    } finally {
      await server.stop();
      cleanups.splice(cleanups.indexOf(stopServer), 1);
    }
    if (settings.profile) {
      const file = mainThreadProfile(options.profileDir!, name);
      if (file) log(`${name}: CPU profile of the server's main thread: ${path.relative(REPO_ROOT, file)}`);
      for (const { result, from, to, intervals } of windows) {
        try {
          if (!file) throw new Error('no main-thread profile was written');
          result.profile = summarizeProfile(file, from, to, 20);
          if (intervals.length > 0) result.stepCosts = attributeIntervals(file, intervals);
        } catch (error) {
          log(`${name}: profile unusable: ${(error as Error).message}`);
        }
      }
    }
  }
  for (const scenario of IN_PROCESS_SCENARIOS.filter((s) => settings.scenarios.includes(s.id))) {
    log(`${backend}/${scenario.id}: in-process, ${settings.warmupSeconds}+${settings.seconds} s`);
    const result = await scenario.run({
      backend,
      databaseUrl,
      masterKey,
      settings,
      databaseCpuSeconds: database.cpuSeconds,
      log,
      defer: (undo) => {
        cleanups.push(undo);
      },
    });
    log(
      `${backend}/${scenario.id}: ${result.opsPerSecond.toFixed(1)} ops/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms`,
    );
    results.push(result);
  }
  return results;
}

async function runScenario(
  backend: BackendId,
  scenario: Scenario,
  settings: BenchSettings,
  server: ChildServer,
  database: Provisioned,
  target: Awaited<ReturnType<typeof discoverTarget>>,
  users: readonly BenchUser[],
): Promise<{ result: ScenarioResult; from: number; to: number; intervals: Interval[] }> {
  const concurrency = scenario.kind === 'login' ? settings.loginConcurrency : settings.grantConcurrency;
  const logMark = server.logs.length;
  const base: Omit<ScenarioResult, keyof Awaited<ReturnType<typeof runLoad>>> = {
    backend,
    scenario: scenario.id,
    title: scenario.title,
    concurrency,
    scryptCost: scenario.scryptCost,
    serverCpuPercent: 0,
    benchCpuPercent: 0,
    databaseCpuPercent: 0,
    otherCpuPercent: 0,
    serverCpuMsPerOp: 0,
    serverRssMb: 0,
    serverLogLines: [],
    serverRoutes: {},
  };
  await waitForQuiet(server, settings.quietWaitSeconds);
  log(`${backend}/${scenario.id}: ${concurrency} in flight, ${settings.warmupSeconds}+${settings.seconds} s`);
  let virtualUsers: Awaited<ReturnType<Scenario['prepare']>>;
  try {
    virtualUsers = await scenario.prepare(target, users, concurrency, settings.loginConcurrency);
    // One operation alone first: a flow that is broken fails here with its reason, not 10 s later.
    await virtualUsers[0]!.op({});
  } catch (error) {
    const reason = (error as Error).message;
    log(`${backend}/${scenario.id}: ABORTED: ${reason}`);
    return {
      result: { ...base, ...abortedFigures(reason), serverLogLines: server.logs.slice(logMark) },
      from: 0,
      to: 0,
      intervals: [],
    };
  }

  let serverCpu = { start: 0, end: 0 };
  let machineCpu = { start: 0, end: 0 };
  let databaseCpu = { start: 0, end: 0 };
  let benchCpu = { start: process.cpuUsage(), end: process.cpuUsage() };
  let window = { from: 0, to: 0 };
  let routes: { start?: Promise<RouteTimes>; end?: Promise<RouteTimes> } = {};
  const load = await runLoad(
    {
      concurrency,
      warmupMs: settings.warmupSeconds * 1000,
      durationMs: settings.seconds * 1000,
      // One request at a time: every server sample belongs to the step the bench waits on.
      trace: settings.profile && concurrency === 1,
      onWindow: (edge) => {
        const now = monotonicUs(performance.now());
        if (edge === 'start') {
          serverCpu = { start: server.cpuSeconds(), end: 0 };
          machineCpu = { start: machineBusySeconds(), end: 0 };
          databaseCpu = { start: database.cpuSeconds(), end: 0 };
          benchCpu = { start: process.cpuUsage(), end: process.cpuUsage() };
          window = { from: now, to: 0 };
          routes = { start: scrapeRouteTimes(server.url) };
        } else {
          serverCpu.end = server.cpuSeconds();
          machineCpu.end = machineBusySeconds();
          databaseCpu.end = database.cpuSeconds();
          benchCpu.end = process.cpuUsage(benchCpu.start);
          window.to = now;
          routes.end = scrapeRouteTimes(server.url);
        }
      },
    },
    virtualUsers,
  );
  const serverCpuSeconds = serverCpu.end - serverCpu.start;
  const benchCpuSeconds = (benchCpu.end.user + benchCpu.end.system) / 1e6;
  const databaseCpuSeconds = databaseCpu.end - databaseCpu.start;
  const otherCpuSeconds = Math.max(
    0,
    machineCpu.end - machineCpu.start - serverCpuSeconds - benchCpuSeconds - databaseCpuSeconds,
  );
  const { traces, ...measured } = load;
  const result: ScenarioResult = {
    ...base,
    ...measured,
    serverCpuPercent: (serverCpuSeconds / load.seconds) * 100,
    benchCpuPercent: (benchCpuSeconds / load.seconds) * 100,
    databaseCpuPercent: (databaseCpuSeconds / load.seconds) * 100,
    otherCpuPercent: (otherCpuSeconds / load.seconds) * 100,
    serverCpuMsPerOp: load.ops ? (serverCpuSeconds * 1000) / load.ops : 0,
    serverRssMb: Math.round(server.rssBytes() / 1048576),
    serverLogLines: server.logs.slice(logMark),
    serverRoutes: routeDeltas(await routes.start, await routes.end),
  };
  log(
    `${backend}/${scenario.id}: ${load.opsPerSecond.toFixed(1)} ops/s, p50 ${load.latency.p50} ms, ` +
      `p99 ${load.latency.p99} ms, ${load.errorCount} errors`,
  );
  return { result, ...window, intervals: stepIntervals(traces ?? [], scenario.id) };
}

/** The stretch of each step of each traced op; an op without steps is one stretch. */
function stepIntervals(traces: readonly OpTrace[], label: string): Interval[] {
  return traces.flatMap(({ began, ended, steps }) => {
    if (Object.keys(steps).length === 0)
      return [{ label, fromUs: monotonicUs(began), toUs: monotonicUs(ended) }];
    let at = began;
    return Object.entries(steps).map(([step, ms]) => {
      const interval = { label: step, fromUs: monotonicUs(at), toUs: monotonicUs(at + ms) };
      at += ms;
      return interval;
    });
  });
}

/**
 * Waits (up to `limitSeconds`) until processes other than the server and the bench use less than
 * a quarter of a core: on a shared 2-vCPU machine they would otherwise take the server's CPU.
 */
async function waitForQuiet(server: ChildServer, limitSeconds: number): Promise<void> {
  if (limitSeconds <= 0) return;
  const deadline = performance.now() + limitSeconds * 1000;
  for (let first = true; ; first = false) {
    const before = { machine: machineBusySeconds(), server: server.cpuSeconds(), bench: process.cpuUsage() };
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const bench = process.cpuUsage(before.bench);
    const other =
      machineBusySeconds() -
      before.machine -
      (server.cpuSeconds() - before.server) -
      (bench.user + bench.system) / 1e6;
    if (other < 0.25) return;
    if (performance.now() > deadline) {
      log(`other processes still use ${Math.round(other * 100)}% of a core; measuring anyway`);
      return;
    }
    if (first) log(`other processes use ${Math.round(other * 100)}% of a core; waiting for quiet`);
  }
}

/** Requests and mean server-side time per route over the window. */
function routeDeltas(
  start: RouteTimes | undefined,
  end: RouteTimes | undefined,
): ScenarioResult['serverRoutes'] {
  const deltas: ScenarioResult['serverRoutes'] = {};
  for (const [route, totals] of Object.entries(end ?? {})) {
    if (route.endsWith(' /metrics')) continue;
    const count = totals.count - (start?.[route]?.count ?? 0);
    const seconds = totals.seconds - (start?.[route]?.seconds ?? 0);
    if (count > 0) deltas[route] = { count, meanMs: Math.round((seconds / count) * 1e5) / 100 };
  }
  return deltas;
}

function ms(since: number): number {
  return Math.round(performance.now() - since);
}

async function main(): Promise<number> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    console.log(
      `npm run bench: Passgate throughput and latency on SQLite and PostgreSQL.\n\n${SETTINGS_HELP}`,
    );
    return 0;
  }
  const settings = readSettings();
  const cpus = os.cpus();
  log(
    `${cpus.length} x ${cpus[0]?.model ?? 'cpu'}, node ${process.version}, mode ${settings.mode}, ` +
      `logins x${settings.loginConcurrency}, grants x${settings.grantConcurrency}, ` +
      `${settings.warmupSeconds}+${settings.seconds} s per scenario`,
  );
  // The peers first, each alone on the machine, then Passgate with the same settings.
  const peers = await runPeers(settings, log, (undo) => {
    cleanups.push(undo);
  });
  const results: ScenarioResult[] = [];
  for (const backend of settings.backends) results.push(...(await runBackend(backend, settings)));
  await cleanUp();

  console.log(formatReport([...peers, ...results]));
  const sideBySide = peerRatios(peers, results);
  if (sideBySide.length > 0) console.log(formatPeerRatios(sideBySide));
  if (settings.profile) for (const r of results) if (r.profile) console.log(`\n${formatProfile(r)}`);

  const output = path.resolve(REPO_ROOT, settings.output);
  mkdirSync(path.dirname(output), { recursive: true });
  writeFileSync(
    output,
    `${JSON.stringify(
      {
        at: new Date().toISOString(),
        machine: {
          cpus: cpus.length,
          model: cpus[0]?.model,
          memoryGb: Math.round(os.totalmem() / 2 ** 30),
          node: process.version,
          platform: `${os.platform()} ${os.release()}`,
        },
        settings,
        results,
        peers,
        peerRatios: sideBySide,
        targets: ratios(results, TARGETS),
        keycloak: ratios(results, KEYCLOAK_2VCPU),
      },
      null,
      2,
    )}\n`,
  );
  console.log(`\nResults written to ${path.relative(process.cwd(), output) || output}`);
  const errors = [...peers, ...results].reduce((n, r) => n + r.errorCount, 0);
  if (errors > 0) {
    console.log(`\n${errors} operations failed: these numbers are not a valid measurement.`);
    return 1;
  }
  return 0;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping servers and removing temporary data`);
    void cleanUp().finally(() => process.exit(130));
  });
}

try {
  process.exitCode = await main();
} catch (error) {
  console.error(`bench failed: ${(error as Error).stack ?? error}`);
  process.exitCode = 1;
} finally {
  await cleanUp();
}
