import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { collect } from '../support/cli.js';

/**
 * A fresh copy of the repository as a new user has it after cloning: the tracked files only (no
 * data/, dist/, test-output/), with node_modules linked to this checkout's to save the install.
 */
export function freshCopy(): string {
  const copy = mkdtempSync(path.join(os.tmpdir(), 'passgate-journey-'));
  const files = execFileSync('git', ['ls-files', '-z'], { cwd: PACKAGE_ROOT, encoding: 'utf8' })
    .split('\0')
    .filter(Boolean);
  for (const file of files) {
    const target = path.join(copy, file);
    mkdirSync(path.dirname(target), { recursive: true });
    try {
      copyFileSync(path.join(PACKAGE_ROOT, file), target);
    } catch (error) {
      // A tracked file deleted in the working tree: the copy follows the working tree.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  symlinkSync(realpathSync(path.join(PACKAGE_ROOT, 'node_modules')), path.join(copy, 'node_modules'), 'dir');
  return copy;
}

/**
 * The environment of a new user's shell: no PASSGATE_* or PORT of the developer's or the test
 * runner's, npm kept off the network (everything is installed), and `extra`.
 */
export function userEnv(home: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    LANG: 'C.UTF-8',
    npm_config_offline: 'true',
    npm_config_update_notifier: 'false',
    npm_config_fund: 'false',
    npm_config_audit: 'false',
    ...extra,
  };
}

/**
 * A Node preload that resolves `host` to 127.0.0.1 in the processes it is given to (through
 * NODE_OPTIONS), as Chromium's --host-resolver-rules does for the browser: the demo reaches
 * Passgate by its public name while every packet stays on this machine.
 */
export function hostMappingPreload(dir: string, host: string): string {
  const file = path.join(dir, 'map-host.mjs');
  writeFileSync(
    file,
    [
      "import dns from 'node:dns';",
      'const original = dns.lookup;',
      'dns.lookup = function lookup(hostname, options, callback) {',
      `  return original.call(this, hostname === ${JSON.stringify(host)} ? '127.0.0.1' : hostname, options, callback);`,
      '};',
      '',
    ].join('\n'),
  );
  return `--import=${file}`;
}

/** A command started in its own process group (npm, its shell and node), with what it wrote. */
export interface Started {
  child: ChildProcess;
  output(): string;
  /** Stops the whole group: TERM, then KILL after 10 s; resolves when it has exited. */
  stop(): Promise<void>;
}

/** Starts a long-running command such as `npm start` in `cwd`. */
export function startCommand(
  command: string,
  args: string[],
  cwd: string,
  env: Record<string, string>,
): Started {
  const child = spawn(command, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    output: () => output,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const group = -child.pid!;
      signalGroup(group, 'SIGTERM');
      const timer = setTimeout(() => signalGroup(group, 'SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
      signalGroup(group, 'SIGKILL'); // a child that outlived its parent
    },
  };
}

function signalGroup(group: number, signal: NodeJS.Signals): void {
  try {
    process.kill(group, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** Runs a command to completion with `input` on its standard input. */
export async function runCommand(
  command: string,
  args: string[],
  cwd: string,
  env: Record<string, string>,
  input = '',
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(command, args, { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin.end(input);
  return collect(child);
}

/** Polls `url` until it answers 200, or fails with what the process wrote. */
export async function waitUntilReady(url: string, started: Started, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (started.child.exitCode !== null)
      throw new Error(`exited with ${started.child.exitCode}:\n${started.output()}`);
    try {
      if ((await fetch(url)).status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(250);
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms:\n${started.output()}`);
}

/** A TOTP code of a base32 secret from oathtool (independent of Passgate's implementation). */
export function oathtool(secret: string, stepsFromNow = 0): string {
  const at = new Date(Date.now() + stepsFromNow * 30_000)
    .toISOString()
    .replace('T', ' ')
    .replace(/\..*$/, ' UTC');
  return execFileSync('oathtool', ['--totp', '-d', '6', '-s', '30', '--base32', '-N', at, secret], {
    encoding: 'utf8',
  }).trim();
}

/**
 * Fresh TOTP codes of one secret from oathtool for each user who holds a token on it: the code
 * of the current time step, never one ahead (a server that learned a drift of −1 refuses it), and
 * a user's next code only from the step after their last one (a code counts once), waited for
 * if need be (at most 30 s).
 */
export function oathtoolCodes(secret: string): (user: string) => Promise<string> {
  const lastStep = new Map<string, number>();
  const stepNow = () => Math.floor(Date.now() / 30_000);
  return async (user) => {
    const used = lastStep.get(user);
    if (used !== undefined && stepNow() <= used) await sleep((used + 1) * 30_000 - Date.now() + 50);
    lastStep.set(user, stepNow());
    return oathtool(secret);
  };
}

/** Runs Debian's docker-compose 1.29 (it validates a file without a Docker engine). */
export function dockerCompose(cwd: string, env: Record<string, string>, ...args: string[]) {
  const envFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'passgate-compose-')), 'empty.env');
  writeFileSync(envFile, '');
  const result = spawnSync('docker-compose', ['--env-file', envFile, '-f', 'docker-compose.yml', ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: os.tmpdir(), ...env },
    encoding: 'utf8',
  });
  if ((result.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    throw new Error('docker-compose is not installed: run `node test/support/preflight.js` as root');
  }
  if (result.error) throw result.error;
  return result;
}
