import { rmSync } from 'node:fs';
import { runLoad } from '../load.js';
import { abortedFigures, type ScenarioResult } from '../report.js';
import { SCENARIOS } from '../scenarios.js';
import { machineBusySeconds, processTreeCpuSeconds } from '../server.js';
import type { BenchSettings, ScenarioId } from '../settings.js';
import { installPackages, renderPeers, sharedPeersDir } from './install.js';
import { lemonLdap } from './lemonldap.js';
import type { Peer, RunningPeer } from './peer.js';
import { simpleSamlPhp } from './simplesamlphp.js';

/** Every peer the bench knows. */
export const PEERS: readonly Peer[] = [simpleSamlPhp, lemonLdap];

/**
 * Installs, starts, measures and stops each selected peer in turn, on the selected journeys it
 * plays, with the settings the Passgate scenarios get (concurrency, warm-up, window). A peer that
 * cannot be installed or started gives ABORTED results with the reason, not a failed bench.
 */
export async function runPeers(
  settings: BenchSettings,
  log: (line: string) => void,
  defer: (undo: () => Promise<void> | void) => void,
): Promise<ScenarioResult[]> {
  const peers = PEERS.filter(
    (p) => settings.peers.includes(p.id) && p.journeys.some((j) => settings.scenarios.includes(j)),
  );
  if (peers.length === 0) return [];
  const dir = renderPeers(sharedPeersDir());
  defer(() => rmSync(dir, { recursive: true, force: true }));
  log(`peers: set-ups rendered in ${dir}`);
  const results: ScenarioResult[] = [];
  for (const peer of peers) {
    const journeys = peer.journeys.filter((j) => settings.scenarios.includes(j));
    let running: RunningPeer;
    try {
      installPackages(dir, peer.id, peer.packages, log);
      running = await peer.start(dir);
    } catch (error) {
      const reason = (error as Error).message;
      log(`${peer.id}: NOT STARTED: ${reason}`);
      results.push(...journeys.map((j) => aborted(peer, j, 0, reason)));
      continue;
    }
    let stopped: Promise<void> | undefined;
    const stop = () => {
      stopped ??= running.stop();
      return stopped;
    };
    defer(stop); // an interrupted run stops it too; once only
    log(`${peer.id}: ${peer.name} started (pids ${running.pids().join(', ')})`);
    try {
      for (const journey of journeys) results.push(await measure(peer, running, journey, settings, log));
    } finally {
      await stop();
    }
  }
  return results;
}

async function measure(
  peer: Peer,
  running: RunningPeer,
  journey: ScenarioId,
  settings: BenchSettings,
  log: (line: string) => void,
): Promise<ScenarioResult> {
  const kind = SCENARIOS.find((s) => s.id === journey)?.kind ?? 'login';
  const concurrency = kind === 'login' ? settings.loginConcurrency : settings.grantConcurrency;
  log(`${peer.id}/${journey}: ${concurrency} in flight, ${settings.warmupSeconds}+${settings.seconds} s`);
  let users: Awaited<ReturnType<RunningPeer['prepare']>>;
  try {
    users = await running.prepare(journey, concurrency);
    await users[0]!.op({}); // a broken set-up fails here with its reason, and the Response is verified
  } catch (error) {
    log(`${peer.id}/${journey}: ABORTED: ${(error as Error).message}`);
    return aborted(peer, journey, concurrency, (error as Error).message);
  }
  const serverCpu = () => running.pids().reduce((sum, pid) => sum + processTreeCpuSeconds(pid), 0);
  let start = { server: 0, machine: 0, bench: process.cpuUsage() };
  let end = { server: 0, machine: 0, bench: process.cpuUsage() };
  const load = await runLoad(
    {
      concurrency,
      warmupMs: settings.warmupSeconds * 1000,
      durationMs: settings.seconds * 1000,
      onWindow: (edge) => {
        const now = { server: serverCpu(), machine: machineBusySeconds(), bench: process.cpuUsage() };
        if (edge === 'start') start = now;
        else end = { ...now, bench: process.cpuUsage(start.bench) };
      },
    },
    users,
  );
  const server = end.server - start.server;
  const bench = (end.bench.user + end.bench.system) / 1e6;
  const percent = (seconds: number) => (seconds / load.seconds) * 100;
  const { traces: _traces, ...measured } = load;
  log(
    `${peer.id}/${journey}: ${load.opsPerSecond.toFixed(1)} sign-ins/s, p50 ${load.latency.p50} ms, ` +
      `p99 ${load.latency.p99} ms, ${load.errorCount} errors`,
  );
  return {
    ...measured,
    ...identity(peer, journey, concurrency),
    serverCpuPercent: percent(server),
    benchCpuPercent: percent(bench),
    databaseCpuPercent: 0,
    otherCpuPercent: Math.max(0, percent(end.machine - start.machine - server - bench)),
    serverCpuMsPerOp: load.ops ? (server * 1000) / load.ops : 0,
  };
}

function identity(peer: Peer, journey: ScenarioId, concurrency: number) {
  return {
    backend: peer.id,
    scenario: journey,
    title: `${peer.name}: ${SCENARIOS.find((s) => s.id === journey)?.title ?? journey}`,
    concurrency,
    scryptCost: 0,
    serverRssMb: 0,
    serverRoutes: {},
    serverLogLines: [],
  };
}

function aborted(peer: Peer, journey: ScenarioId, concurrency: number, reason: string): ScenarioResult {
  return {
    ...identity(peer, journey, concurrency),
    ...abortedFigures(reason),
    serverCpuPercent: 0,
    benchCpuPercent: 0,
    databaseCpuPercent: 0,
    otherCpuPercent: 0,
    serverCpuMsPerOp: 0,
  };
}
