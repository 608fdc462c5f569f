import { FlowError } from './flows.js';

/** One simulated client: it repeats `op` in a closed loop. */
export interface VirtualUser {
  /** One measured operation; may fill in per-step durations; throws on any failure. */
  op(steps: Record<string, number>): Promise<void>;
  /** Called after a failed op, to get the user going again (e.g. a new refresh token); not timed. */
  recover?(): Promise<void>;
}

/** Settings of one load run. */
export interface LoadSettings {
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  /** Keep the timing of every measured operation (to charge profile samples to steps). */
  trace?: boolean;
  /** Sampled at the start and end of the measured window (CPU counters). */
  onWindow?: (edge: 'start' | 'end') => void;
}

/** Latency summary in milliseconds. */
export interface LatencyStats {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** What a load run measured. */
export interface LoadResult {
  /** Operations that completed successfully inside the measured window. */
  ops: number;
  seconds: number;
  opsPerSecond: number;
  latency: LatencyStats;
  /** Per-step latencies of the measured operations (logins). */
  steps: Record<string, LatencyStats>;
  /** Every failure, warm-up and drain included, by step and kind. */
  errors: Record<string, { count: number; example: string }>;
  errorCount: number;
  /** Operations attempted in the whole run (warm-up and drain included). */
  attempted: number;
  /** With `trace`: start and end (performance.now() ms) and step durations of each measured op. */
  traces?: OpTrace[];
}

/** When one measured operation ran, and how long each of its steps took, in order. */
export interface OpTrace {
  began: number;
  ended: number;
  steps: Record<string, number>;
}

/**
 * Runs `concurrency` virtual users in a closed loop (each starts its next operation as soon as
 * the previous one ends) for a warm-up and then a measured window. Only operations that finish
 * inside the window count towards throughput and latency; failures count wherever they happen.
 */
export async function runLoad(settings: LoadSettings, users: readonly VirtualUser[]): Promise<LoadResult> {
  const start = performance.now();
  const windowStart = start + settings.warmupMs;
  const windowEnd = windowStart + settings.durationMs;
  const latencies: number[] = [];
  const stepSamples: Record<string, number[]> = {};
  const errors: LoadResult['errors'] = {};
  const traces: OpTrace[] = [];
  let errorCount = 0;
  let attempted = 0;

  const record = (error: unknown) => {
    errorCount++;
    const key = error instanceof FlowError ? error.key : (error as Error)?.name || 'Error';
    const message = error instanceof Error ? error.message : String(error);
    const slot = errors[key] ?? { count: 0, example: message.slice(0, 400) };
    slot.count++;
    errors[key] = slot;
  };

  const startTimer = setTimeout(() => settings.onWindow?.('start'), settings.warmupMs);
  // The end edge is always taken, even when every loop has already stopped at the window's end.
  const windowClosed = new Promise<void>((resolve) =>
    setTimeout(() => {
      settings.onWindow?.('end');
      resolve();
    }, windowEnd - performance.now()),
  );

  const loop = async (user: VirtualUser) => {
    while (performance.now() < windowEnd) {
      const steps: Record<string, number> = {};
      const began = performance.now();
      attempted++;
      try {
        await user.op(steps);
      } catch (error) {
        record(error);
        if (user.recover) await user.recover().catch(record);
        continue;
      }
      const ended = performance.now();
      if (ended < windowStart || ended > windowEnd) continue;
      latencies.push(ended - began);
      if (settings.trace) traces.push({ began, ended, steps });
      for (const [name, ms] of Object.entries(steps)) {
        stepSamples[name] ??= [];
        stepSamples[name].push(ms);
      }
    }
  };
  await Promise.all(users.slice(0, settings.concurrency).map(loop));
  await windowClosed;
  clearTimeout(startTimer);

  const seconds = settings.durationMs / 1000;
  return {
    ops: latencies.length,
    seconds,
    opsPerSecond: latencies.length / seconds,
    latency: summarize(latencies),
    steps: Object.fromEntries(Object.entries(stepSamples).map(([name, s]) => [name, summarize(s)])),
    errors,
    errorCount,
    attempted,
    ...(settings.trace ? { traces } : {}),
  };
}

/** Mean and nearest-rank percentiles of a sample, in ms rounded to 0.01. */
export function summarize(samples: number[]): LatencyStats {
  const sorted = Float64Array.from(samples).sort();
  const rank = (p: number) =>
    sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
  const round = (ms: number) => Math.round(ms * 100) / 100;
  const total = sorted.reduce((sum, ms) => sum + ms, 0);
  return {
    count: sorted.length,
    mean: round(sorted.length ? total / sorted.length : 0),
    p50: round(rank(50)),
    p90: round(rank(90)),
    p99: round(rank(99)),
    max: round(sorted[sorted.length - 1] ?? 0),
  };
}
