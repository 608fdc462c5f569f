// The external programs the harness drives (samba, samba-tool, openssl, the OpenLDAP tools).
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const APT =
  'apt-get install -y --no-install-recommends samba samba-ad-dc samba-ad-provision winbind ldap-utils';

const found = new Map<string, string>();

/** Absolute path of a command, or an error naming the apt command that installs it. */
export function tool(name: string): string {
  let file = found.get(name);
  if (!file) {
    file =
      spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim() ||
      ['/usr/sbin', '/sbin'].map((dir) => path.join(dir, name)).find((f) => existsSync(f));
    if (!file) throw new Error(`${name} not found; install Samba AD DC with: ${APT}`);
    found.set(name, file);
  }
  return file;
}

/** Samba's version line: part of the provision cache's key, so an upgrade provisions anew. */
export function sambaVersion(): string {
  return spawnSync(tool('samba'), ['--version'], { encoding: 'utf8' }).stdout.trim();
}

/** The Python samba-tool runs with (its #! line): a pyenv python3 first on PATH lacks Samba's modules. */
export function sambaPython(): string {
  const shebang = readFileSync(tool('samba-tool'), 'utf8').split('\n', 1)[0] ?? '';
  return /^#!\s*(\S+)/.exec(shebang)?.[1] ?? '/usr/bin/python3';
}

/** Options of `run`. */
export interface RunOptions {
  /** Written to the command's standard input (closed empty otherwise). */
  input?: string;
  /** Added to this process's environment. */
  env?: Record<string, string>;
  timeoutMs?: number;
}

/**
 * Runs a command to its end and resolves to its standard output; a failure names the command
 * (without --adminpass), its status, its standard error and the last line of its output.
 */
export function run(command: string, args: string[], { input, env, timeoutMs = 120_000 }: RunOptions = {}) {
  return new Promise<string>((resolve, reject) => {
    const child = execFile(
      command,
      args,
      { env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 256 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) {
          const line = [path.basename(command), ...args.filter((a) => !a.startsWith('--adminpass'))].join(
            ' ',
          );
          // ldapmodify names the entry it was at on stdout, and the error on stderr.
          const at = stdout.trim().split('\n').slice(-1)[0] ?? '';
          reject(
            new Error(`${line.slice(0, 300)} failed (${error.code ?? error.signal}): ${stderr.trim()} ${at}`),
          );
        } else resolve(stdout);
      },
    );
    // A command that exits before reading its input (one that fails at once) closes the pipe: the
    // callback above reports how it ended, so the EPIPE of that write must not end the run.
    child.stdin?.on('error', () => {});
    child.stdin?.end(input ?? '');
  });
}

/** Runs openssl synchronously; throws with its standard error when it fails. */
export function openssl(...args: string[]): void {
  const r = spawnSync(tool('openssl'), args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr}`);
}
