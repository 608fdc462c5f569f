import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { systemClock } from '../src/clock.js';
import { loadConfig } from '../src/server/config.js';
import { composeCore } from '../src/server/core.js';
import { openDatabase } from '../src/store/database.js';
import { oathToken } from '../src/tokens/enrol.js';
import { closedLoop, type Measured } from './closed-loop.js';
import { monotonicUs, summarizeProfile } from './cpuprofile.js';
import type { InProcessContext, InProcessScenario } from './dispatch.js';
import { hotpSecret, hotpSequence } from './journeys/passgate.js';
import { freeUdpPort, RadiusNas } from './radius-client.js';
import { abortedScenario, formatProfile, type ScenarioResult } from './report.js';
import {
  type ChildServer,
  createUsers,
  mainThreadProfile,
  processTreeCpuSeconds,
  REPO_ROOT,
  serverEnv,
  startChildServer,
  writeServerConfig,
} from './server.js';

/** Access-Requests in flight, one per NAS socket and user, for every server measured. */
const CONCURRENCY = 16;
/** Shared secret of the bench NAS at both servers. */
const SECRET = 'passgate-bench-radius-secret-01';
/**
 * scrypt cost of Passgate's password hashes: low, as FreeRADIUS compares a cleartext password from
 * its `users` file; at the default cost the hash alone bounds the rate (see login-cost15).
 */
const SCRYPT_COST = 4;

/** One server's run of the load: what it answered, and its CPU over the measured window. */
interface Run {
  label: string;
  measured: Measured;
  serverCpuSeconds: number;
  /** The measured window, monotonic µs (to cut the server's CPU profile with BENCH_PROFILE=1). */
  window: { from: number; to: number };
}

/** A server under test: where it listens and how much CPU its processes have used so far. */
interface RadiusServer {
  address: { host: string; port: number };
  cpuSeconds(): number;
}

/**
 * Access-Requests per second over UDP with the same closed-loop load generator against
 * FreeRADIUS (PAP, `users` file) and Passgate (PAP alone; PAP + HOTP code appended inline, a fresh
 * code per request), Passgate on SQLite as deployed: Passgate's default workers (one per CPU, as
 * FreeRADIUS's thread pool uses every core) unless BENCH_WORKERS says otherwise.
 */
export const radiusAccessRequests: InProcessScenario = {
  id: 'radius',
  title:
    'RADIUS Access-Requests over UDP with Message-Authenticator: FreeRADIUS PAP (users file), Passgate PAP, Passgate PAP + HOTP inline',
  async run(context) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'passgate-bench-radius-'));
    const stops: Array<() => Promise<void> | void> = [];
    try {
      const freeradius = await startFreeRadius(path.join(dir, 'freeradius'));
      stops.push(freeradius.stop);
      const passgate = await startPassgate(dir, context);
      context.log(
        `${context.backend}/radius: Passgate with ${passgate.workers} worker(s)` +
          (context.settings.workers ? ' (BENCH_WORKERS)' : " (Passgate's default: one per CPU)"),
      );
      const stopPassgate = () => passgate.child.stop();
      stops.push(stopPassgate);
      const runs = [
        await measure(context, 'FreeRADIUS PAP', freeradius, (i) => [`pap-${i}`, papPassword(i)]),
        await measure(context, 'Passgate PAP', passgate, (i) => [`pap-${i}`, papPassword(i)]),
        await measure(context, 'Passgate PAP + HOTP inline', passgate, otpCredentials()),
      ];
      const answer = result(context, runs, passgate.child);
      if (passgate.profileDir) {
        stops.splice(stops.indexOf(stopPassgate), 1);
        await stopPassgate();
        logProfiles(context, passgate.profileDir, answer, runs.slice(1));
      }
      return answer;
    } catch (error) {
      return abortedScenario(
        context,
        {
          id: 'radius',
          title: radiusAccessRequests.title,
          concurrency: CONCURRENCY,
          scryptCost: SCRYPT_COST,
        },
        error,
      );
    } finally {
      for (const stop of stops.reverse()) await stop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

const papPassword = (i: number) => `bench radius password ${i}`;

/** User `otp-i` answers with its password, `,` and the next code of its own HOTP token. */
function otpCredentials(): (i: number) => [string, string] {
  const sequences = Array.from({ length: CONCURRENCY }, (_, i) => hotpSequence(`otp-${i}`));
  return (i) => [`otp-${i}`, `${papPassword(i)},${sequences[i]!()}`];
}

/**
 * Warm-up, then the measured window, of CONCURRENCY NAS sockets each bound to one user (its own
 * throttle counters and HOTP token); anything but Access-Accept counts as an error.
 */
async function measure(
  context: InProcessContext,
  label: string,
  server: RadiusServer,
  credentials: (i: number) => [string, string],
): Promise<Run> {
  const idle = Array.from({ length: CONCURRENCY }, (_, i) => ({
    i,
    nas: new RadiusNas(server.address, SECRET),
  }));
  const all = [...idle];
  const op = async () => {
    const slot = idle.pop()!;
    try {
      await slot.nas.accessRequest(...credentials(slot.i));
    } finally {
      idle.push(slot);
    }
  };
  try {
    const none = () => 0;
    await closedLoop(op, CONCURRENCY, { warmupSeconds: 0, seconds: context.settings.warmupSeconds }, none);
    const before = server.cpuSeconds();
    const from = monotonicUs(performance.now());
    const measured = await closedLoop(
      op,
      CONCURRENCY,
      { warmupSeconds: 0, seconds: context.settings.seconds },
      none,
    );
    const to = monotonicUs(performance.now());
    const serverCpuSeconds = server.cpuSeconds() - before;
    context.log(
      `${context.backend}/radius: ${label}: ${measured.opsPerSecond.toFixed(0)} Access-Accepts/s, ` +
        `p50 ${measured.latency.p50} ms, p99 ${measured.latency.p99} ms, ` +
        `server CPU ${perRequestMs(serverCpuSeconds, measured.ops)} ms/request, ` +
        `load generator CPU ${perRequestMs(measured.cpuSeconds, measured.ops)} ms/request, ` +
        `other CPU ${otherCpuPercent(measured, serverCpuSeconds).toFixed(0)} %, ` +
        `${measured.errors} errors` +
        (measured.example ? ` (${measured.example})` : ''),
    );
    return { label, measured, serverCpuSeconds, window: { from, to } };
  } finally {
    for (const slot of all) slot.nas.close();
  }
}

/** CPU of the machine's other processes over the window (neither the server nor the load generator), in % of one CPU. */
const otherCpuPercent = (measured: Measured, serverCpuSeconds: number) =>
  Math.max(0, ((measured.machineSeconds - serverCpuSeconds - measured.cpuSeconds) / measured.seconds) * 100);

const perRequestMs = (cpuSeconds: number, ops: number) =>
  ops ? ((cpuSeconds * 1000) / ops).toFixed(3) : '-';

/** The scenario's result: Passgate PAP + HOTP is the headline, the other two and the ratios in the title. */
function result(context: InProcessContext, runs: Run[], passgate: ChildServer): ScenarioResult {
  const [freeradius, pap, otp] = runs as [Run, Run, Run];
  const ratio = (run: Run) => (run.measured.opsPerSecond / freeradius.measured.opsPerSecond).toFixed(2);
  const summary =
    `FreeRADIUS PAP ${freeradius.measured.opsPerSecond.toFixed(0)}/s; ` +
    `Passgate PAP ${pap.measured.opsPerSecond.toFixed(0)}/s (x${ratio(pap)}), ` +
    `PAP + HOTP ${otp.measured.opsPerSecond.toFixed(0)}/s (x${ratio(otp)}, target >= 0.5), ` +
    `Passgate CPU ${perRequestMs(pap.serverCpuSeconds, pap.measured.ops)} / ${perRequestMs(otp.serverCpuSeconds, otp.measured.ops)} ms per request`;
  context.log(`${context.backend}/radius: ${summary}`);
  const errors: ScenarioResult['errors'] = {};
  for (const run of runs)
    if (run.measured.errors)
      errors[run.label] = { count: run.measured.errors, example: run.measured.example ?? '' };
  const seconds = otp.measured.seconds;
  return {
    backend: context.backend,
    scenario: 'radius',
    title: `${radiusAccessRequests.title}: ${summary}`,
    concurrency: CONCURRENCY,
    scryptCost: SCRYPT_COST,
    ops: otp.measured.ops,
    seconds,
    opsPerSecond: otp.measured.opsPerSecond,
    latency: otp.measured.latency,
    steps: Object.fromEntries(runs.map((run) => [run.label, run.measured.latency])),
    errors,
    errorCount: runs.reduce((n, run) => n + run.measured.errors, 0),
    attempted: runs.reduce((n, run) => n + run.measured.ops + run.measured.errors, 0),
    serverCpuPercent: (otp.serverCpuSeconds / seconds) * 100,
    benchCpuPercent: (otp.measured.cpuSeconds / seconds) * 100,
    databaseCpuPercent: 0,
    otherCpuPercent: otherCpuPercent(otp.measured, otp.serverCpuSeconds),
    serverCpuMsPerOp: otp.measured.ops ? (otp.serverCpuSeconds * 1000) / otp.measured.ops : 0,
    serverRssMb: Math.round(passgate.rssBytes() / 1048576),
    serverRoutes: {},
    serverLogLines: passgate.logs.slice(-50),
  };
}

/**
 * Passgate on a SQLite file of its own, RADIUS on a loopback UDP port, one inline-mode client,
 * users `pap-i` (password only) and `otp-i` (with an HOTP token each), Passgate's default
 * workers unless BENCH_WORKERS says otherwise.
 */
async function startPassgate(dir: string, context: InProcessContext) {
  const port = await freeUdpPort();
  const options = {
    dir,
    name: 'radius',
    databaseUrl: `sqlite:${path.join(dir, 'data', 'passgate.db')}`,
    masterKey: randomBytes(32).toString('base64'),
    mode: context.settings.mode,
    scryptCost: SCRYPT_COST,
    ...(context.settings.workers ? { workers: context.settings.workers } : {}),
    extra: { radius: { enabled: true, host: '127.0.0.1', port, watch: false } },
    ...(context.settings.profile ? { profileDir: path.join(REPO_ROOT, 'test-output', 'profiles') } : {}),
  };
  const configFile = writeServerConfig(options);
  const clients = path.join(dir, 'metadata', 'radius');
  mkdirSync(clients, { recursive: true });
  writeFileSync(path.join(clients, 'bench.secret'), SECRET);
  writeFileSync(
    path.join(clients, 'bench.yaml'),
    stringify({
      name: 'bench',
      addresses: ['127.0.0.1'],
      secret: { file: 'bench.secret' },
      mode: 'inline',
      separator: ',',
    }),
  );
  const env = serverEnv(options, 0);
  const users = (prefix: string) =>
    Array.from({ length: CONCURRENCY }, (_, i) => ({ username: `${prefix}-${i}`, password: papPassword(i) }));
  await createUsers(configFile, env, [...users('pap'), ...users('otp')]);
  await enrolHotp(configFile, env);
  const child = await startChildServer(options, configFile);
  return {
    child,
    workers: context.settings.workers ?? os.availableParallelism(),
    address: { host: '127.0.0.1', port },
    cpuSeconds: () => child.cpuSeconds(),
    profileDir: options.profileDir,
  };
}

/** With BENCH_PROFILE=1: where Passgate's main thread went in each of its measured windows. */
function logProfiles(context: InProcessContext, profileDir: string, answer: ScenarioResult, runs: Run[]) {
  const file = mainThreadProfile(profileDir, 'radius');
  if (!file) return context.log(`${context.backend}/radius: no main-thread profile was written`);
  context.log(
    `${context.backend}/radius: CPU profile of Passgate's main thread: ${path.relative(REPO_ROOT, file)}`,
  );
  for (const run of runs) {
    const profile = summarizeProfile(file, run.window.from, run.window.to, 20);
    context.log(`${context.backend}/radius: ${run.label}:`);
    context.log(formatProfile({ ...answer, ops: run.measured.ops, profile }, 20));
  }
}

/** One HOTP token (counter 0) for each `otp-i` user, written to the store before the server starts. */
async function enrolHotp(configFile: string, env: NodeJS.ProcessEnv): Promise<void> {
  const config = loadConfig({ file: configFile, env });
  const database = await openDatabase(config.database.url, config.database);
  try {
    const core = composeCore(config, database, systemClock);
    const tokens = [];
    for (let i = 0; i < CONCURRENCY; i++) {
      const user = (await core.users.findByUsername(`otp-${i}`))!;
      tokens.push(
        oathToken({ userId: user.id, label: user.username, type: 'hotp', secret: hotpSecret(`otp-${i}`) }),
      );
    }
    await core.tokens.createMany(tokens);
  } finally {
    await database.close();
  }
}

/**
 * Debian's FreeRADIUS 3 in the foreground with its thread pool, PAP against a `users` file with
 * the `pap-i` users, the bench NAS as its one client; ready once it accepts a request.
 */
async function startFreeRadius(dir: string): Promise<RadiusServer & { stop(): Promise<void> }> {
  try {
    execFileSync('freeradius', ['-v'], { stdio: 'ignore' });
  } catch {
    throw new Error('freeradius is not installed (Debian: apt-get install freeradius)');
  }
  for (const sub of ['run', 'log']) mkdirSync(path.join(dir, sub), { recursive: true });
  const port = await freeUdpPort();
  writeFileSync(path.join(dir, 'dictionary'), '');
  writeFileSync(
    path.join(dir, 'users'),
    Array.from(
      { length: CONCURRENCY },
      (_, i) => `pap-${i}\tCleartext-Password := "${papPassword(i)}"\n`,
    ).join(''),
  );
  writeFileSync(path.join(dir, 'radiusd.conf'), freeRadiusConfig(dir, port));
  let output = '';
  const child: ChildProcess = spawn('freeradius', ['-f', '-d', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
  };
  const address = { host: '127.0.0.1', port };
  const nas = new RadiusNas(address, SECRET);
  try {
    for (const deadline = Date.now() + 15_000; ; ) {
      if (child.exitCode !== null) throw new Error(`FreeRADIUS exited: ${output.slice(-2000)}`);
      if (Date.now() > deadline)
        throw new Error(`FreeRADIUS did not answer within 15 s: ${output.slice(-2000)}`);
      const ok = await nas.accessRequest('pap-0', papPassword(0)).then(
        () => true,
        () => false,
      );
      if (ok) break;
      await sleep(100);
    }
  } catch (error) {
    await stop();
    throw error;
  } finally {
    nas.close();
  }
  const pid = child.pid!;
  return { address, cpuSeconds: () => processTreeCpuSeconds(pid), stop };
}

/** A minimal radiusd.conf: PAP from the `files` module, no logging of requests, no reject delay. */
function freeRadiusConfig(dir: string, port: number): string {
  return `prefix = /usr
exec_prefix = /usr
sysconfdir = /etc
localstatedir = /var
sbindir = /usr/sbin
logdir = ${dir}/log
raddbdir = ${dir}
radacctdir = ${dir}/log
name = freeradius
confdir = ${dir}
modconfdir = ${dir}
run_dir = ${dir}/run
db_dir = ${dir}
libdir = /usr/lib/freeradius
pidfile = ${dir}/run/freeradius.pid
max_request_time = 30
cleanup_delay = 5
max_requests = 65536
hostname_lookups = no
log {
	destination = files
	file = ${dir}/log/radius.log
	auth = no
}
security {
	max_attributes = 200
	reject_delay = 0
	status_server = no
}
thread pool {
	start_servers = 4
	max_servers = 32
	min_spare_servers = 2
	max_spare_servers = 8
	max_requests_per_server = 0
}
client bench {
	ipaddr = 127.0.0.1
	secret = ${SECRET}
	require_message_authenticator = yes
}
modules {
	pap {
		normalise = yes
	}
	files {
		filename = ${dir}/users
	}
}
server default {
	listen {
		type = auth
		ipaddr = 127.0.0.1
		port = ${port}
	}
	authorize {
		files
		pap
	}
	authenticate {
		Auth-Type PAP {
			pap
		}
	}
}
`;
}
