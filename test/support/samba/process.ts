// Running a provisioned DC as a child of this process: start it, wait until LDAPS answers a bind,
// stop it with its whole process group.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { details, type SambaDc } from './domain.js';
import { ldapsearch } from './ldap.js';
import { groupMembers, killGroup } from './pids.js';
import { portAnswers, tlsAnswers } from './probes.js';
import { cacheDir } from './provision.js';
import { tool } from './tools.js';

/** How a samba process ended. */
export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A DC this process started. */
export interface SambaHandle extends SambaDc {
  pid: number;
  /** Standard output and error of samba. */
  log: string;
  /** SIGTERM to its process group (samba exits 127 on it), SIGKILL after 10 s. */
  stop(): Promise<ExitStatus>;
  /** Stops it and starts it again on the same domain. */
  restart(): Promise<SambaHandle>;
}

function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Starts the DC of `dir` (see `provision`) as a child of this process and waits until LDAPS
 * answers an Administrator bind. Returns a handle; `stop()` ends it (and its process group),
 * `restart()` stops and starts it again on the same domain.
 */
export async function start(dir: string, { timeoutMs = 30_000 }: { timeoutMs?: number } = {}) {
  const dc = details(dir);
  const samba = tool('samba');
  tool('ldapsearch');
  if (await portAnswers(dc.host, 636)) {
    throw new Error(`something already listens on ${dc.host}:636; provision the DC for another address`);
  }
  const log = path.join(dir, 'log', 'samba.out');
  const out = openSync(log, 'a');
  // -i: foreground, logs to stdout, and ends itself when its standard input closes, so the DC
  // cannot outlive this process even if it is killed. It also makes itself a process group leader.
  const child = spawn(samba, ['-s', dc.smbConf, '-i', '-M', 'single', '--option=server services=ldap'], {
    stdio: ['pipe', out, out],
  });
  closeSync(out); // the child has its own copy
  const pid = child.pid;
  if (pid === undefined) throw new Error(`samba did not start; ${log}:\n${tail(log)}`);
  const exited = new Promise<ExitStatus>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let gone: ExitStatus | null = null;
  void exited.then((status) => {
    gone = status;
  });
  const ca = readFileSync(dc.caFile);
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  for (;;) {
    const ended = gone as ExitStatus | null;
    if (ended) {
      throw new Error(
        `samba exited (${ended.code ?? ended.signal}) before LDAPS answered; ${log}:\n${tail(log)}\n` +
          `(a broken cache? remove ${cacheDir()})`,
      );
    }
    if (await tlsAnswers(dc.host, ca)) {
      try {
        await ldapsearch(dc, '(objectClass=*)', ['dn'], { scope: 'base' });
        break;
      } catch (error) {
        lastError = (error as Error).message;
      }
    }
    if (Date.now() > deadline) {
      killGroup(pid, 'SIGKILL');
      throw new Error(
        `samba did not answer an LDAPS bind within ${timeoutMs} ms: ${lastError}\n${tail(log)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const handle: SambaHandle = {
    ...dc,
    pid,
    log,
    async stop() {
      if (gone) return gone;
      killGroup(pid, 'SIGTERM');
      child.stdin?.end();
      const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), 10_000);
      const status = await exited;
      clearTimeout(timer);
      // Samba forwards SIGTERM to its group; should a child of it outlive it, it goes too.
      if (groupMembers(pid).length > 0) killGroup(pid, 'SIGKILL');
      return status;
    },
    async restart() {
      await handle.stop();
      return start(dir, { timeoutMs });
    },
  };
  return handle;
}
