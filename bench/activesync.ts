import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { systemClock } from '../src/clock.js';
import { loadConfig } from '../src/server/config.js';
import { openDatabase } from '../src/store/database.js';
import { DevicesRepository } from '../src/store/repositories/devices.js';
import { UsersRepository } from '../src/store/repositories/users.js';
import { freePort } from '../test/support/free-port.js';
import { startCluster, stopCluster } from '../test/support/postgres-cluster.js';
import { type SogoServer, startSogo } from '../test/support/sogo.js';
import { encodeActiveSync } from '../test/support/wbxml.js';
import { closedLoop, type Measured } from './closed-loop.js';
import type { InProcessContext, InProcessScenario } from './dispatch.js';
import { abortedScenario, type ScenarioResult } from './report.js';
import { createUsers, serverEnv, startChildServer, writeServerConfig } from './server.js';

/**
 * Devices syncing at once, each its own DeviceId (one cache entry each), all of SOGo's one user.
 * Few: SOGo answers with one worker, and resets connections when many wait.
 */
const CONCURRENCY = 4;
/** scrypt cost of the user's hash: only the first request of each device checks it (the cache answers the rest). */
const SCRYPT_COST = 4;
const WBXML = 'application/vnd.ms-sync.wbxml';
const FOLDER_SYNC = '<FolderSync xmlns="FolderHierarchy:"><SyncKey>0</SyncKey></FolderSync>';

/** One way of sending the requests: straight to SOGo, or through Passgate. */
interface Run {
  label: string;
  measured: Measured;
  /** CPU seconds of Passgate's processes over the window, less their idle CPU (0 for the direct run). */
  passgateCpuSeconds: number;
}

/**
 * Proxied Exchange ActiveSync requests per second for approved devices, with the credential
 * cache: the same FolderSync (WBXML from libwbxml2), then the same OPTIONS (SOGo's cheapest
 * answer, so that Passgate's own cost shows), sent straight to Debian's SOGo and through
 * Passgate's ActiveSync door, in the same run, so that the difference is what the proxy adds.
 * SOGo runs on the run's PostgreSQL (a cluster of its own with BENCH_BACKENDS=sqlite).
 */
export const activesyncProxy: InProcessScenario = {
  id: 'activesync',
  title:
    'ActiveSync FolderSync (and OPTIONS) of approved devices: straight to SOGo vs through Passgate (credential cache on), same run',
  async run(context) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'passgate-bench-activesync-'));
    const stops: Array<() => Promise<void> | void> = [];
    try {
      const postgres = await sogoDatabase(context, stops);
      const sogo = await startSogo(postgres);
      stops.push(() => sogo.stop());
      const passgate = await startPassgate(dir, context, sogo);
      stops.push(() => passgate.child.stop());
      const body = encodeActiveSync(FOLDER_SYNC);
      const proxy = `${passgate.child.url}/Microsoft-Server-ActiveSync`;
      // Passgate's CPU is read in the direct runs too: what it spends idle then is taken off the proxied run's.
      const cpu = () => passgate.child.cpuSeconds();
      const runs: Run[] = [];
      for (const command of [{ body }, 'OPTIONS' as const]) {
        const name = command === 'OPTIONS' ? 'OPTIONS' : 'FolderSync';
        const direct = await measure(
          context,
          `${name} SOGo direct`,
          sogo.activesyncUrl,
          command,
          sogo.user,
          cpu,
        );
        const idleRate = direct.passgateCpuSeconds / direct.measured.seconds;
        runs.push({ ...direct, passgateCpuSeconds: 0 });
        runs.push(
          await measure(context, `${name} through Passgate`, proxy, command, sogo.user, cpu, idleRate),
        );
      }
      return result(context, runs as [Run, Run, Run, Run], passgate.child);
    } catch (error) {
      return abortedScenario(
        context,
        { id: 'activesync', title: activesyncProxy.title, concurrency: CONCURRENCY, scryptCost: SCRYPT_COST },
        error,
      );
    } finally {
      for (const stop of stops.reverse()) await stop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

/** An administrator URL of a PostgreSQL for SOGo: the run's, or a cluster of the scenario's own. */
async function sogoDatabase(
  context: InProcessContext,
  stops: Array<() => Promise<void> | void>,
): Promise<string> {
  if (context.backend === 'postgres') return context.databaseUrl;
  // A folder of its own, outside the scenario's (private) one: the cluster script hands it to the postgres user.
  const clusterDir = mkdtempSync(path.join(os.tmpdir(), 'passgate-bench-activesync-pg-'));
  const url = startCluster(clusterDir, await freePort());
  stops.push(() => stopCluster(clusterDir, true));
  return url;
}

/**
 * Passgate on a SQLite file of its own (the scenario measures the proxy, not the store), the
 * ActiveSync door in front of SOGo, SOGo's user as a local user with the same password, and the
 * bench's devices approved for that user beforehand (the door's device approval lets them pass).
 */
async function startPassgate(dir: string, context: InProcessContext, sogo: SogoServer) {
  const options = {
    dir,
    name: 'activesync',
    databaseUrl: `sqlite:${path.join(dir, 'data', 'passgate.db')}`,
    masterKey: randomBytes(32).toString('base64'),
    mode: context.settings.mode,
    scryptCost: SCRYPT_COST,
    workers: context.settings.workers ?? 1,
    extra: { activesync: { enabled: true, upstream: sogo.activesyncUrl } },
  };
  const configFile = writeServerConfig(options);
  const env = serverEnv(options, 0);
  await createUsers(configFile, env, [sogo.user]);
  await approveDevices(configFile, env, sogo.user.username);
  const child = await startChildServer(options, configFile);
  return { child };
}

/** DeviceId of the bench's device `i`. */
const deviceId = (i: number) => `BENCH${String(i).padStart(4, '0')}`;

/** Every bench device approved for the user in the store, as its owner would on the provisioning site. */
async function approveDevices(configFile: string, env: NodeJS.ProcessEnv, username: string): Promise<void> {
  const config = loadConfig({ file: configFile, env });
  const database = await openDatabase(config.database.url, config.database);
  try {
    const user = (await new UsersRepository(database.db, systemClock).findByUsername(username))!;
    const devices = new DevicesRepository(database.db);
    for (let i = 0; i < CONCURRENCY; i++)
      await devices.observe(
        {
          user: { id: user.id, name: user.username },
          deviceId: deviceId(i),
          deviceType: 'iPhone',
          model: null,
          userAgent: 'Apple-iPhone/1901.235',
          address: '127.0.0.1',
          country: null,
          at: Date.now(),
        },
        'approved',
      );
  } finally {
    await database.close();
  }
}

/**
 * Warm-up (each device's first request fills the cache), then the measured window: CONCURRENCY
 * devices in a closed loop, each sending FolderSync with its own DeviceId; anything but 200 is an error.
 */
async function measure(
  context: InProcessContext,
  label: string,
  endpoint: string,
  /** A FolderSync with this WBXML body (its DeviceId in the query), or OPTIONS (no device, no body). */
  command: { body: Buffer } | 'OPTIONS',
  account: { username: string; password: string },
  cpu: () => number,
  /** Passgate's CPU seconds per second when idle, taken off (0: the raw figure). */
  idleRate = 0,
): Promise<Run> {
  const basic = `Basic ${Buffer.from(`${account.username}:${account.password}`).toString('base64')}`;
  const user = encodeURIComponent(account.username);
  const idle = Array.from({ length: CONCURRENCY }, (_, i) => i);
  const op = async () => {
    const i = idle.pop()!;
    try {
      const res =
        command === 'OPTIONS'
          ? await fetch(endpoint, { method: 'OPTIONS', headers: { authorization: basic } })
          : await fetch(`${endpoint}?Cmd=FolderSync&User=${user}&DeviceId=${deviceId(i)}&DeviceType=iPhone`, {
              method: 'POST',
              headers: { authorization: basic, 'ms-asprotocolversion': '14.1', 'content-type': WBXML },
              body: command.body,
            });
      const answer = Buffer.from(await res.arrayBuffer());
      if (res.status !== 200 || (command !== 'OPTIONS' && answer.length === 0))
        throw new Error(`${label}: HTTP ${res.status}`);
    } finally {
      idle.push(i);
    }
  };
  const none = () => 0;
  await closedLoop(op, CONCURRENCY, { warmupSeconds: 0, seconds: context.settings.warmupSeconds }, none);
  const before = cpu();
  const measured = await closedLoop(
    op,
    CONCURRENCY,
    { warmupSeconds: 0, seconds: context.settings.seconds },
    none,
  );
  const passgateCpuSeconds = Math.max(0, cpu() - before - idleRate * measured.seconds);
  context.log(
    `${context.backend}/activesync: ${label}: ${measured.opsPerSecond.toFixed(0)} requests/s, ` +
      `p50 ${measured.latency.p50} ms, p99 ${measured.latency.p99} ms, ` +
      (passgateCpuSeconds
        ? `Passgate CPU ${perRequestMs(passgateCpuSeconds, measured.ops)} ms/request, `
        : '') +
      `${measured.errors} errors` +
      (measured.example ? ` (${measured.example})` : ''),
  );
  return { label, measured, passgateCpuSeconds };
}

const perRequestMs = (cpuSeconds: number, ops: number) =>
  ops ? ((cpuSeconds * 1000) / ops).toFixed(3) : '-';

/** What going through Passgate changed for one kind of request: rate, ratio, latency added, Passgate's CPU. */
function pair(direct: Run, proxied: Run): string {
  const added = (key: 'p50' | 'p99') =>
    (proxied.measured.latency[key] - direct.measured.latency[key]).toFixed(1);
  return (
    `direct ${direct.measured.opsPerSecond.toFixed(0)}/s, through Passgate ${proxied.measured.opsPerSecond.toFixed(0)}/s ` +
    `(x${(proxied.measured.opsPerSecond / direct.measured.opsPerSecond).toFixed(2)}), ` +
    `latency added p50 ${added('p50')} ms, p99 ${added('p99')} ms, ` +
    `Passgate CPU ${perRequestMs(proxied.passgateCpuSeconds, proxied.measured.ops)} ms per request`
  );
}

/** FolderSync through Passgate is the headline; both pairs are in the title, every run under `steps`. */
function result(
  context: InProcessContext,
  runs: [Run, Run, Run, Run],
  passgate: { rssBytes(): number; logs: string[] },
): ScenarioResult {
  const [direct, proxied, optionsDirect, optionsProxied] = runs;
  const summary = `FolderSync: ${pair(direct, proxied)}; OPTIONS: ${pair(optionsDirect, optionsProxied)}`;
  context.log(`${context.backend}/activesync: ${summary}`);
  const errors: ScenarioResult['errors'] = {};
  for (const run of runs)
    if (run.measured.errors)
      errors[run.label] = { count: run.measured.errors, example: run.measured.example ?? '' };
  const { measured } = proxied;
  return {
    backend: context.backend,
    scenario: 'activesync',
    title: `${activesyncProxy.title}: ${summary}`,
    concurrency: CONCURRENCY,
    scryptCost: SCRYPT_COST,
    ops: measured.ops,
    seconds: measured.seconds,
    opsPerSecond: measured.opsPerSecond,
    latency: measured.latency,
    steps: Object.fromEntries(runs.map((run) => [run.label, run.measured.latency])),
    errors,
    errorCount: runs.reduce((n, run) => n + run.measured.errors, 0),
    attempted: runs.reduce((n, run) => n + run.measured.ops + run.measured.errors, 0),
    serverCpuPercent: (proxied.passgateCpuSeconds / measured.seconds) * 100,
    benchCpuPercent: (measured.cpuSeconds / measured.seconds) * 100,
    databaseCpuPercent: 0,
    otherCpuPercent: Math.max(
      0,
      ((measured.machineSeconds - proxied.passgateCpuSeconds - measured.cpuSeconds) / measured.seconds) * 100,
    ),
    serverCpuMsPerOp: measured.ops ? (proxied.passgateCpuSeconds * 1000) / measured.ops : 0,
    serverRssMb: Math.round(passgate.rssBytes() / 1048576),
    serverRoutes: {},
    serverLogLines: passgate.logs.slice(-50),
  };
}
