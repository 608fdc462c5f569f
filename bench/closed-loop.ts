import { type LatencyStats, summarize } from './load.js';
import { machineBusySeconds } from './server.js';

/** What one closed-loop measurement found. */
export interface Measured {
  ops: number;
  seconds: number;
  opsPerSecond: number;
  latency: LatencyStats;
  errors: number;
  example?: string;
  cpuSeconds: number;
  machineSeconds: number;
  databaseSeconds: number;
}

/**
 * Runs `op` in `concurrency` closed loops for the warm-up and the measured window, timing each op
 * and the CPU of the window. Its own loop (not runLoad): with SQLite an op may never yield to the
 * timers runLoad's window edges rely on.
 */
export async function closedLoop(
  op: () => Promise<void>,
  concurrency: number,
  settings: { warmupSeconds: number; seconds: number },
  databaseCpuSeconds: () => number,
): Promise<Measured> {
  const windowStart = performance.now() + settings.warmupSeconds * 1000;
  const windowEnd = windowStart + settings.seconds * 1000;
  const latencies: number[] = [];
  let errors = 0;
  let example: string | undefined;
  let edge: { cpu: NodeJS.CpuUsage; machine: number; db: number } | undefined;
  const loop = async () => {
    for (let began = performance.now(); began < windowEnd; began = performance.now()) {
      if (!edge && began >= windowStart)
        edge = { cpu: process.cpuUsage(), machine: machineBusySeconds(), db: databaseCpuSeconds() };
      try {
        await op();
      } catch (error) {
        errors++;
        example ??= (error as Error).message;
        continue;
      }
      const ended = performance.now();
      if (began >= windowStart && ended <= windowEnd) latencies.push(ended - began);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  const cpu = process.cpuUsage(edge?.cpu);
  const seconds = settings.seconds;
  return {
    ops: latencies.length,
    seconds,
    opsPerSecond: latencies.length / seconds,
    latency: summarize(latencies),
    errors,
    ...(example ? { example } : {}),
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    machineSeconds: machineBusySeconds() - (edge?.machine ?? 0),
    databaseSeconds: databaseCpuSeconds() - (edge?.db ?? 0),
  };
}
