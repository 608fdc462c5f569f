import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import type { ForkRecord } from './record.js';

/** A test file the watchdog stopped: it ran longer than the limit. */
export interface HungFile {
  file: string;
  where: string;
  pid: number;
  seconds: number;
}

/** Options of {@link watchTestFiles}. */
export interface WatchOptions {
  /** The folder the forks write their records to (./record.ts). */
  dir: string;
  /** How long one test file may run in its fork. */
  limitMs: number;
  /** Where the watchdog's report goes (stderr in a run). */
  log: (text: string) => void;
}

/** The default limit per file: the slowest file takes about 145 s in CI (test/store/user-search-100k.test.ts). */
export const DEFAULT_FILE_LIMIT_SECONDS = 600;

/** The limit per test file, from PASSGATE_TEST_FILE_LIMIT (seconds), so a slow machine can raise it. */
export function fileLimitMs(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.PASSGATE_TEST_FILE_LIMIT;
  if (raw === undefined || raw === '') return DEFAULT_FILE_LIMIT_SECONDS * 1000;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new Error(`PASSGATE_TEST_FILE_LIMIT must be a number of seconds above 0, not "${raw}"`);
  }
  return seconds * 1000;
}

/**
 * Watches the test files' forks from vitest's main process and kills, with SIGKILL, a fork whose
 * file has run longer than the limit: a main thread blocked in native code (a deadlock) escapes
 * every vitest timeout, which are timers on that same thread. Returns the function that stops
 * watching and gives the files it killed.
 */
export function watchTestFiles(options: WatchOptions): () => Promise<HungFile[]> {
  const hung: HungFile[] = [];
  const killing = new Set<number>();
  const pending: Array<Promise<void>> = [];
  const check = () => {
    for (const record of readRecords(options.dir)) {
      if (killing.has(record.pid)) continue;
      if (!isAlive(record.pid)) {
        rmSync(recordPath(options.dir, record.pid), { force: true });
        continue;
      }
      const elapsed = Date.now() - record.since;
      if (elapsed <= options.limitMs) continue;
      killing.add(record.pid);
      const found = {
        file: record.file,
        where: record.where,
        pid: record.pid,
        seconds: Math.round(elapsed / 1000),
      };
      hung.push(found);
      pending.push(stopHungFork(found, options));
    }
  };
  const timer = setInterval(check, Math.min(10_000, Math.max(200, options.limitMs / 4)));
  timer.unref();
  return async () => {
    clearInterval(timer);
    await Promise.all(pending);
    return hung;
  };
}

/** The sentence that names a file the watchdog killed, for the log and for the run's failure. */
export function describeHung(found: HungFile): string {
  return `${found.file} ran ${found.seconds} s, over the limit (PASSGATE_TEST_FILE_LIMIT), and was stopped ${found.where}`;
}

async function stopHungFork(found: HungFile, options: WatchOptions): Promise<void> {
  options.log(`\n[watchdog] ${describeHung(found)}: killing its fork (pid ${found.pid}).\n`);
  options.log(`[watchdog] native stacks of pid ${found.pid}:\n${await nativeStacks(found.pid)}\n`);
  // Its own children (servers, browsers) first, then the fork: none of them would end otherwise.
  for (const pid of [...descendants(found.pid), found.pid]) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  rmSync(recordPath(options.dir, found.pid), { force: true });
}

/** Every thread's native backtrace through gdb, when gdb is there: it shows where a blocked thread waits. */
function nativeStacks(pid: number): Promise<string> {
  return new Promise((resolve) => {
    execFile(
      'gdb',
      ['-batch', '-nx', '-ex', 'thread apply all bt', '-p', String(pid)],
      { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout) => {
        const stacks = stdout
          .split('\n')
          // Frames gdb cannot name (JIT-compiled JavaScript) say nothing.
          .filter(
            (line) => (line.startsWith('#') && !line.endsWith(' in ?? ()')) || line.startsWith('Thread '),
          )
          .join('\n');
        resolve(stacks || `(none: ${error ? error.message.split('\n')[0] : 'gdb printed no stack'})`);
      },
    );
  });
}

/** The processes started by `pid`, their children and so on (Linux /proc; none elsewhere). */
function descendants(pid: number): number[] {
  const parents = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((entry) => /^\d+$/.test(entry));
  } catch {
    return [];
  }
  for (const entry of entries) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid ...: comm may hold spaces and parentheses, so read after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
    } catch {
      // ended meanwhile
    }
  }
  const found: number[] = [];
  const visit = (parent: number) => {
    for (const child of parents.get(parent) ?? []) {
      found.push(child);
      visit(child);
    }
  };
  visit(pid);
  return found.reverse();
}

function readRecords(dir: string): ForkRecord[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => name.endsWith('.json'));
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    try {
      return [JSON.parse(readFileSync(`${dir}/${name}`, 'utf8')) as ForkRecord];
    } catch {
      return []; // removed meanwhile
    }
  });
}

function recordPath(dir: string, pid: number): string {
  return `${dir}/${pid}.json`;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
