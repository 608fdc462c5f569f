import { type LoadResult, runLoad, type VirtualUser } from './load.js';
import { machineBusySeconds } from './server.js';
import type { BenchSettings } from './settings.js';

/** One measured window of an in-process scenario, where the bench process is the server. */
export interface InProcessWindow {
  ops: number;
  seconds: number;
  /** CPU seconds of this process over the window. */
  processSeconds: number;
  /** CPU seconds of the whole machine over the window. */
  machineSeconds: number;
  /** CPU seconds of the PostgreSQL cluster over the window (0 for SQLite). */
  databaseSeconds?: number;
}

/** The CPU and memory fields of an in-process scenario's result, the same for every scenario. */
export function inProcessUsage(window: InProcessWindow) {
  const database = window.databaseSeconds ?? 0;
  const percent = (cpu: number) => (cpu / window.seconds) * 100;
  return {
    scryptCost: 0,
    serverCpuPercent: percent(window.processSeconds),
    benchCpuPercent: 0,
    databaseCpuPercent: percent(database),
    otherCpuPercent: Math.max(0, percent(window.machineSeconds - window.processSeconds - database)),
    serverCpuMsPerOp: window.ops ? (window.processSeconds * 1000) / window.ops : 0,
    serverRssMb: Math.round(process.memoryUsage().rss / 1048576),
    serverRoutes: {},
    serverLogLines: [] as string[],
  };
}

/**
 * Tracks the CPU of this process, the machine and the database over a load run's measured window
 * (pass `onWindow` to runLoad), so every in-process scenario counts its window the same way.
 */
function cpuWindow(databaseCpuSeconds: () => number) {
  let cpu = process.cpuUsage();
  let machine = 0;
  let db = 0;
  return {
    onWindow: (edge: 'start' | 'end') => {
      if (edge === 'start') {
        cpu = process.cpuUsage();
        machine = machineBusySeconds();
        db = databaseCpuSeconds();
      } else {
        cpu = process.cpuUsage(cpu);
        machine = machineBusySeconds() - machine;
        db = databaseCpuSeconds() - db;
      }
    },
    /** The scenario's CPU and memory fields for the window, once runLoad has returned. */
    usage: (load: { ops: number; seconds: number }) =>
      inProcessUsage({
        ops: load.ops,
        seconds: load.seconds,
        processSeconds: (cpu.user + cpu.system) / 1e6,
        machineSeconds: machine,
        databaseSeconds: db,
      }),
  };
}

/**
 * Runs an in-process scenario's load — `settings.warmupSeconds` of warm-up, then
 * `settings.seconds` measured — with `concurrency` operations in flight among `users`, and
 * counts the measured window's CPU the same way for every scenario: returns the load's result
 * and the scenario's CPU and memory fields.
 */
export async function measureInProcess(
  settings: Pick<BenchSettings, 'warmupSeconds' | 'seconds'>,
  databaseCpuSeconds: () => number,
  concurrency: number,
  users: readonly VirtualUser[],
): Promise<{ load: LoadResult; usage: ReturnType<typeof inProcessUsage> }> {
  const window = cpuWindow(databaseCpuSeconds);
  const load = await runLoad(
    {
      concurrency,
      warmupMs: settings.warmupSeconds * 1000,
      durationMs: settings.seconds * 1000,
      onWindow: window.onWindow,
    },
    users,
  );
  return { load, usage: window.usage(load) };
}
