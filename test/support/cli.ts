import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { PACKAGE_ROOT } from '../../src/paths.js';

const BIN = path.join(PACKAGE_ROOT, 'bin', 'passgate.js');

/** Outcome of one `passgate` command run as its own process. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Environment without any PASSGATE_* setting of the developer's shell leaking in. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('PASSGATE_') && key !== 'PORT') env[key] = value;
  }
  return { ...env, ...extra };
}

/** Runs `passgate <args>` to completion, writing `input` to its standard input (not a terminal). */
export function runCli(
  args: string[],
  options: { env?: Record<string, string>; input?: string; cwd?: string } = {},
): Promise<CliRun> {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: cleanEnv(options.env),
    cwd: options.cwd ?? PACKAGE_ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin.end(options.input ?? '');
  return collect(child);
}

/** Starts `passgate <args>` and returns the process, for long-running commands. */
export function spawnCli(
  args: string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], {
    env: cleanEnv(options.env),
    cwd: options.cwd ?? PACKAGE_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Waits for a process to exit and returns what it wrote. */
export function collect(child: ChildProcess): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

/** Resolves with the output so far once `pattern` appears in the process's standard output or error. */
export function waitForOutput(child: ChildProcess, pattern: RegExp, timeoutMs = 20_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(
      () => reject(new Error(`timed out waiting for ${pattern}; output so far:\n${seen}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      if (pattern.test(seen)) {
        clearTimeout(timer);
        resolve(seen);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', () => {
      clearTimeout(timer);
      if (!pattern.test(seen)) reject(new Error(`process exited before ${pattern}; output:\n${seen}`));
    });
  });
}

/**
 * A private folder with a YAML configuration file in it; dataDir (created, as an operator would:
 * Passgate creates only its default data folder) and metadataDir inside the folder.
 */
export function writeConfig(
  settings: Record<string, unknown>,
  folder = mkdtempSync(path.join(os.tmpdir(), 'passgate-cli-')),
) {
  mkdirSync(path.join(folder, 'data'), { recursive: true });
  const file = path.join(folder, 'passgate.yaml');
  writeFileSync(
    file,
    stringify({
      dataDir: path.join(folder, 'data'),
      metadataDir: path.join(folder, 'metadata'),
      ...settings,
    }),
  );
  return { folder, file };
}

/** Outcome of {@link runStart}: what the process wrote, its exit code, and whether it got as far as serving. */
export interface StartRun extends CliRun {
  /** True when the server logged `ready` (it was then stopped with SIGTERM). */
  started: boolean;
}

/**
 * Runs `passgate start <args>` until it exits by itself (a refused start) or logs `ready`, then
 * stops it with SIGTERM; so a test of a refused start fails, rather than hangs, when it starts.
 */
export async function runStart(
  args: string[],
  options: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {},
): Promise<StartRun> {
  const child = spawnCli(['start', ...args], options);
  const done = collect(child);
  let started = false;
  const stop = () => child.kill('SIGTERM');
  const timer = setTimeout(stop, options.timeoutMs ?? 45_000);
  let seen = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    seen += chunk.toString();
    if (!started && /"msg":"ready"/.test(seen)) {
      started = true;
      stop();
    }
  });
  const run = await done;
  clearTimeout(timer);
  return { ...run, started };
}
