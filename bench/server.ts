import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { systemClock } from '../src/clock.js';
import { hashPassword } from '../src/crypto/password.js';
import { loadConfig } from '../src/server/config.js';
import { SERVER_NODE_FLAGS } from '../src/server/node-flags.js';
import { openDatabase } from '../src/store/database.js';
import { migrateToLatest } from '../src/store/migrate.js';
import { UsersRepository } from '../src/store/repositories/users.js';
import { freePort } from '../test/support/free-port.js';
import { BENCH_CLIENT } from './flows.js';

/** Root of the repository (bench/ is one level down). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** A Passgate server running in a child process. */
export interface ChildServer {
  url: string;
  pid: number;
  /** CPU seconds (user + system, every thread) the child and its workers have used so far. */
  cpuSeconds(): number;
  /** Resident set size of the child and its workers in bytes. */
  rssBytes(): number;
  /** The child's processes: itself, and its workers when `server.workers` > 1. */
  processCount(): number;
  /** Log lines the child wrote (warn and above), newest last. */
  logs: string[];
  /** Stops it with SIGTERM (a CPU profile, if asked for, is written on that exit). */
  stop(): Promise<void>;
}

/** How to start one server. */
export interface ChildServerOptions {
  /** A folder of this backend run; config, data and metadata go inside. */
  dir: string;
  name: string;
  databaseUrl: string;
  masterKey: string;
  mode: 'production' | 'development';
  scryptCost: number;
  /**
   * When set, the child runs with --cpu-prof and writes its profiles into `<profileDir>/<name>/`:
   * one per thread (tsx's loader runs in a thread of its own), see {@link mainThreadProfile}.
   */
  profileDir?: string;
  /** Settings merged over the bench's own (the flood scenario's rate limits and trusted proxy). */
  extra?: Record<string, unknown>;
  /** `server.workers`; unset: Passgate's default (one per CPU). */
  workers?: number;
}

/** /metrics is served only behind a token (or on a listener of its own): the bench scrapes with this one. */
const METRICS_TOKEN_VARIABLE = 'PASSGATE_BENCH_METRICS_TOKEN';
const METRICS_TOKEN = 'passgate-bench-metrics-token';

/** The configuration file of one server start; also what the bench hashes passwords with. */
export function writeServerConfig(options: ChildServerOptions): string {
  const dataDir = path.join(options.dir, 'data');
  const metadataDir = path.join(options.dir, 'metadata');
  mkdirSync(path.join(metadataDir, 'oidc'), { recursive: true });
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(path.join(metadataDir, 'oidc', `${BENCH_CLIENT.client_id}.yaml`), stringify(BENCH_CLIENT));
  const file = path.join(options.dir, `${options.name}.yaml`);
  writeFileSync(
    file,
    stringify({
      mode: options.mode,
      dataDir,
      metadataDir,
      server: {
        host: '127.0.0.1',
        shutdownGraceSeconds: 2,
        ...(options.workers ? { workers: options.workers } : {}),
      },
      passwords: { scryptCost: options.scryptCost },
      log: { level: 'warn' },
      metrics: { tokenEnv: METRICS_TOKEN_VARIABLE },
      // Every virtual user signs in from loopback: the per-address limits would measure themselves.
      rateLimit: { enabled: false },
      // Production needs gateways said explicitly; the bench sends no passcodes there (as before).
      ...(options.mode === 'production' ? { dispatch: { gateways: [] } } : {}),
      ...options.extra,
    }),
  );
  return file;
}

/** Environment of the server child and of the bench's own store access (the public overrides). */
export function serverEnv(options: ChildServerOptions, port: number): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PORT: String(port),
    PASSGATE_PUBLIC_URL: `http://127.0.0.1:${port}`,
    PASSGATE_DATABASE_URL: options.databaseUrl,
    PASSGATE_MASTER_KEY: options.masterKey,
    [METRICS_TOKEN_VARIABLE]: METRICS_TOKEN,
  };
}

/**
 * Creates local users directly through the store, before the server starts, with password
 * hashes made exactly as `passgate user add` makes them under that configuration (so the
 * server never re-hashes them on login). Existing users are left alone.
 */
export async function createUsers(
  configFile: string,
  env: NodeJS.ProcessEnv,
  users: ReadonlyArray<{ username: string; password: string }>,
): Promise<void> {
  const config = loadConfig({ file: configFile, env });
  const database = await openDatabase(config.database.url, config.database);
  try {
    await migrateToLatest(database);
    const repository = new UsersRepository(database.db, systemClock);
    const params = {
      cost: config.passwords.scryptCost,
      blockSize: config.passwords.scryptBlockSize,
      parallelization: config.passwords.scryptParallelization,
    };
    await Promise.all(
      users.map(async ({ username, password }) => {
        if (await repository.findByUsername(username)) return;
        await repository.create({
          username,
          displayName: `Bench ${username}`,
          email: `${username}@example.test`,
          groups: ['bench'],
          passwordHash: await hashPassword(password, params),
        });
      }),
    );
  } finally {
    await database.close();
  }
}

/** Spawns `node bin/passgate.js start --config FILE` and waits until /readyz answers 200. */
export async function startChildServer(
  options: ChildServerOptions,
  configFile: string,
): Promise<ChildServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // Started as the Dockerfile and `npm start` start it: with the server's V8 settings.
  const nodeArgs = [
    ...SERVER_NODE_FLAGS,
    ...(options.profileDir
      ? ['--cpu-prof', `--cpu-prof-dir=${path.join(options.profileDir, options.name)}`]
      : []),
  ];
  if (options.profileDir)
    rmSync(path.join(options.profileDir, options.name), { recursive: true, force: true });
  const child = spawn(
    process.execPath,
    [...nodeArgs, path.join(REPO_ROOT, 'bin', 'passgate.js'), 'start', '--config', configFile],
    {
      cwd: REPO_ROOT,
      // A profile attributes time by source folder: the per-file dist/ rather than the bundle.
      env: { ...serverEnv(options, port), ...(options.profileDir ? { PASSGATE_UNBUNDLED: '1' } : {}) },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const logs: string[] = [];
  const collect = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) if (line.trim()) logs.push(line);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let gone = false;
  void exited.then(() => {
    gone = true;
  });

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (gone) throw new Error(`the server exited during start-up:\n${logs.slice(-20).join('\n')}`);
    if (Date.now() > deadline) {
      await stopChild(child, exited);
      throw new Error(`the server was not ready within 60 s:\n${logs.slice(-20).join('\n')}`);
    }
    const status = await fetch(`${url}/readyz`).then(
      (r) => r.arrayBuffer().then(() => r.status),
      () => 0,
    );
    if (status === 200) break;
    // Short: the bench reports the time to ready (bench/startup.ts).
    await sleep(20);
  }
  // Worker 1 serves first; the others start then: measure only once every worker serves.
  const workers = options.workers ?? os.availableParallelism();
  if (workers > 1 && !(await everyWorkerServing(url, workers, Date.now() + 120_000))) {
    await stopChild(child, exited);
    throw new Error(
      `not all ${workers} workers were serving 120 s after the first:\n${logs.slice(-20).join('\n')}`,
    );
  }

  const pid = child.pid!;
  return {
    url,
    pid,
    logs,
    cpuSeconds: () => processTreeCpuSeconds(pid),
    rssBytes: () => processTree(pid).reduce((sum, member) => sum + rssOf(member), 0),
    processCount: () => processTree(pid).length,
    stop: () => stopChild(child, exited),
  };
}

/**
 * Waits until 2 x `workers` fresh connections in a row (node:cluster hands them out in turn) find
 * /readyz at 200 and the summed /metrics shows that each of the `workers` slots has served.
 */
async function everyWorkerServing(url: string, workers: number, deadline: number): Promise<boolean> {
  const authorization = `Bearer ${METRICS_TOKEN}`;
  while (Date.now() < deadline) {
    const statuses = await Promise.all(
      Array.from({ length: 2 * workers }, () => freshStatus(`${url}/readyz`)),
    );
    const text = await fetch(`${url}/metrics`, { headers: { authorization } }).then(
      (r) => r.text(),
      () => '',
    );
    const slots = new Set(
      [...text.matchAll(/^passgate_worker_requests_total\{worker="(\d+)"\}/gm)].map((m) => m[1]),
    );
    if (slots.size >= workers && statuses.every((status) => status === 200)) return true;
    await sleep(100);
  }
  return false;
}

/** The status of one GET on a connection of its own (0 when it fails). */
function freshStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = httpGet(url, { agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
  });
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}

/** CPU seconds (user + system, all threads) and parent of a process, from /proc/PID/stat. */
function processCpu(pid: number): { seconds: number; parent: number } | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Fields after the command name: state is the 3rd, ppid the 4th, utime and stime the 14th and 15th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { seconds: (Number(fields[11]) + Number(fields[12])) / clockTicks(), parent: Number(fields[1]) };
}

/** A process and all its descendants, with the CPU seconds each has used so far. */
function processTree(rootPid: number): Array<{ pid: number; seconds: number }> {
  const all = new Map<number, { seconds: number; parent: number }>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const cpu = processCpu(Number(name));
    if (cpu) all.set(Number(name), cpu);
  }
  const inTree = (pid: number): boolean => {
    for (let at: number | undefined = pid, hops = 0; at && hops < 64; hops++) {
      if (at === rootPid) return true;
      at = all.get(at)?.parent;
    }
    return false;
  };
  return [...all].filter(([pid]) => inTree(pid)).map(([pid, cpu]) => ({ pid, seconds: cpu.seconds }));
}

/**
 * CPU seconds used so far by a process and all its descendants (Passgate's primary and its
 * workers; the PostgreSQL postmaster and its backends). Processes that already exited are not
 * counted; workers and the pool's connections stay up, so over a measured window this is accurate.
 */
export function processTreeCpuSeconds(rootPid: number): number {
  return processTree(rootPid).reduce((sum, member) => sum + member.seconds, 0);
}

/** Resident set size of one process in bytes (0 once it is gone). */
function rssOf({ pid }: { pid: number }): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

let ticksPerSecond: number | undefined;
function clockTicks(): number {
  ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  return ticksPerSecond;
}

/** Server-side request time by `METHOD route`, from the server's own Prometheus histogram. */
export type RouteTimes = Record<string, { count: number; seconds: number }>;

/** Reads the cumulative request-duration totals from the server's /metrics. */
export async function scrapeRouteTimes(url: string): Promise<RouteTimes> {
  const text = await (
    await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
  ).text();
  const totals: RouteTimes = {};
  const line = /^passgate_http_request_duration_seconds_(sum|count)\{([^}]*)\} ([\d.e+-]+)$/gm;
  for (const [, kind, labels = '', value] of text.matchAll(line)) {
    const method = /method="([^"]*)"/.exec(labels)?.[1];
    const route = /route="([^"]*)"/.exec(labels)?.[1];
    const key = `${method} ${route}`;
    totals[key] ??= { count: 0, seconds: 0 };
    if (kind === 'sum') totals[key].seconds += Number(value);
    else totals[key].count += Number(value);
  }
  return totals;
}

/** The main thread's profile among those a child wrote (node names them CPU.<date>.<time>.<pid>.<tid>.<seq>). */
export function mainThreadProfile(profileDir: string, name: string): string | undefined {
  const dir = path.join(profileDir, name);
  const file = readdirSync(dir)
    .filter((f) => /\.\d+\.0\.\d+\.cpuprofile$/.test(f))
    .sort()
    .pop();
  return file && path.join(dir, file);
}

/** CPU seconds the whole machine has spent busy (every core; idle and iowait excluded) since boot. */
export function machineBusySeconds(): number {
  const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
  // user nice system idle iowait irq softirq steal (guest time is already inside user).
  const [user, nice, system, , , irq, softirq, steal] = fields.map(Number);
  return (
    ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / clockTicks()
  );
}

/**
 * Which code `passgate start` will run: bin/load.js uses the compiled dist/ when it is newer
 * than every file of src/ (the bundle, or the per-file build under a profile), and the
 * TypeScript sources through tsx otherwise.
 */
export function serverCodeSource(
  profiled = false,
): 'dist/bundle (bundled by esbuild)' | 'dist (compiled by esbuild)' | 'src (through tsx)' {
  let built: number;
  try {
    built = statSync(path.join(REPO_ROOT, 'dist', '.built')).mtimeMs;
  } catch {
    return 'src (through tsx)';
  }
  const src = path.join(REPO_ROOT, 'src');
  const current = readdirSync(src, { recursive: true }).every(
    (file) => statSync(path.join(src, String(file))).mtimeMs <= built,
  );
  if (!current) return 'src (through tsx)';
  return profiled ? 'dist (compiled by esbuild)' : 'dist/bundle (bundled by esbuild)';
}

/** The V8 heap of a server process as its /metrics reports it (prom-client's default metrics), MB. */
export interface HeapFigures {
  /** Reserved by the V8 heap, all spaces. */
  totalMb: number;
  /** In use in the V8 heap (live and not yet collected). */
  usedMb: number;
  /** Reserved per space (new_space, old_space, code_space ...). */
  spacesMb: Record<string, number>;
  /** Memory outside the heap held by JS objects (Buffers, WebAssembly memory). */
  externalMb: number;
}

/** Reads the V8 heap figures of the server's /metrics (one process: with workers, summed). */
export async function scrapeHeap(url: string): Promise<HeapFigures> {
  const text = await (
    await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
  ).text();
  const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;
  const sum = (name: string) =>
    [...text.matchAll(new RegExp(`^passgate_${name}(?:\\{[^}]*\\})? ([\\d.e+-]+)$`, 'gm'))].reduce(
      (total, match) => total + Number(match[1]),
      0,
    );
  const spacesMb: Record<string, number> = {};
  const space = /^passgate_nodejs_heap_space_size_total_bytes\{[^}]*space="([^"]+)"[^}]*\} ([\d.e+-]+)$/gm;
  for (const [, name = '', value] of text.matchAll(space))
    spacesMb[name] = mb((spacesMb[name] ?? 0) * 2 ** 20 + Number(value));
  return {
    totalMb: mb(sum('nodejs_heap_size_total_bytes')),
    usedMb: mb(sum('nodejs_heap_size_used_bytes')),
    spacesMb,
    externalMb: mb(sum('nodejs_external_memory_bytes')),
  };
}
