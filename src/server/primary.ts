import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import type { Logger } from '../observability/logger.js';
import { withServerFlags } from './node-flags.js';
import {
  type FromPrimary,
  type FromWorker,
  isPassgateMessage,
  WORKER_JOINING_VARIABLE,
  WORKER_SLOT_VARIABLE,
  type WorkerMetrics,
} from './worker-link.js';

/** How long a metrics collection waits for the workers before it sums the parts it has. */
const COLLECT_TIMEOUT_MS = 3000;
/** A worker that dies younger than this is replaced after {@link RESTART_DELAY_MS} (no crash loop). */
const YOUNG_DEATH_MS = 10_000;
const RESTART_DELAY_MS = 1000;

/** The first worker exited before it served: the start failed, with that worker's exit code. */
export class StartFailed extends Error {
  constructor(readonly exitCode: number) {
    super(`the first worker exited with code ${exitCode} before it served`);
  }
}

/** The supervising process of `server.workers` workers. */
export interface Primary {
  /** Resolves when the first worker serves; rejects with {@link StartFailed} when it exits before. */
  ready: Promise<void>;
  /** Tells every worker to re-read its application metadata (the primary's SIGHUP). */
  reload(): void;
  /** SIGTERM to every worker, which finishes its requests and exits; SIGKILL after `killAfterMs`. */
  stop(killAfterMs: number): Promise<void>;
}

/**
 * Starts and supervises the workers of node:cluster, which share the listening port and the store.
 * Slot 1 starts first and alone: it migrates the store, seeds policies and creates the first
 * signing keys, so no two workers race for them; the others start once it serves. A worker that
 * dies is logged and replaced in its slot (slot 1 runs the scheduled jobs). The primary also sums
 * the workers' metrics for whichever worker a scrape reaches.
 */
export function startPrimary(workers: number, logger: Logger): Primary {
  const slots = new Map<number, Worker>();
  let stopping = false;
  let served = false;
  let settleReady: { resolve: () => void; reject: (error: Error) => void } | undefined;
  const ready = new Promise<void>((resolve, reject) => {
    settleReady = { resolve, reject };
  });
  const collections = new Map<number, { parts: WorkerMetrics[]; awaited: Set<number>; finish: () => void }>();
  let nextCollection = 0;

  const collect = (): Promise<string> =>
    new Promise((resolve, reject) => {
      const id = nextCollection++;
      const live = [...slots.values()].filter((w) => w.isConnected());
      const collection = {
        parts: [] as WorkerMetrics[],
        awaited: new Set(live.map((w) => w.id)),
        finish: () => {},
      };
      const timer = setTimeout(() => collection.finish(), COLLECT_TIMEOUT_MS);
      collection.finish = () => {
        clearTimeout(timer);
        collections.delete(id);
        AggregatorRegistry.aggregate(collection.parts).metrics().then(resolve, reject);
      };
      collections.set(id, collection);
      for (const worker of live) worker.send({ passgate: 'metrics-collect', id } satisfies FromPrimary);
      if (live.length === 0) collection.finish();
    });

  const received = (worker: Worker, message: FromWorker) => {
    if (message.passgate === 'ready') {
      logger.info({ slot: slotOf(worker), pid: worker.process.pid }, 'worker serving');
      if (!served) {
        served = true;
        settleReady?.resolve();
        for (let slot = 2; slot <= workers; slot++) fork(slot);
      }
    } else if (message.passgate === 'metrics-part') {
      const collection = collections.get(message.id);
      if (!collection) return;
      collection.parts.push(message.metrics);
      collection.awaited.delete(worker.id);
      if (collection.awaited.size === 0) collection.finish();
    } else if (message.passgate === 'metrics-request') {
      collect().then(
        (text) => send(worker, { passgate: 'metrics', id: message.id, text }),
        (error: unknown) => send(worker, { passgate: 'metrics', id: message.id, error: String(error) }),
      );
    }
  };

  const slotOf = (worker: Worker) => [...slots].find(([, w]) => w === worker)?.[0];

  // The workers serve: they run with the server's V8 settings whatever started the primary.
  cluster.setupPrimary({ execArgv: withServerFlags(process.execArgv) });
  const fork = (slot: number) => {
    const born = Date.now();
    const worker = cluster.fork({
      [WORKER_SLOT_VARIABLE]: String(slot),
      // Forked while another serves (the later slots, any replacement): listen only once ready.
      [WORKER_JOINING_VARIABLE]: served ? '1' : '0',
    });
    slots.set(slot, worker);
    // A message to a worker whose channel just closed: its exit (below) says what happened.
    worker.on('error', (error) => logger.debug({ slot, error: String(error) }, 'worker channel error'));
    worker.on('message', (message: unknown) => {
      if (isPassgateMessage<FromWorker>(message)) received(worker, message);
    });
    worker.on('exit', (code, signal) => {
      if (slots.get(slot) === worker) slots.delete(slot);
      for (const collection of collections.values()) {
        collection.awaited.delete(worker.id);
        if (collection.awaited.size === 0) collection.finish();
      }
      if (stopping) return;
      if (!served) {
        settleReady?.reject(new StartFailed(code ?? 1));
        return;
      }
      const lived = Date.now() - born;
      logger.warn(
        { slot, pid: worker.process.pid, code, signal, livedSeconds: Math.round(lived / 1000) },
        'worker exited; starting a replacement',
      );
      const delay = lived < YOUNG_DEATH_MS ? RESTART_DELAY_MS : 0;
      setTimeout(() => {
        if (!stopping) fork(slot);
      }, delay);
    });
  };

  logger.info({ workers }, 'starting workers');
  fork(1);

  return {
    ready,
    reload: () => {
      for (const worker of slots.values()) send(worker, { passgate: 'reload' });
    },
    stop: async (killAfterMs) => {
      stopping = true;
      const running = [...slots.values()];
      await Promise.all(
        running.map(
          (worker) =>
            new Promise<void>((resolve) => {
              if (worker.isDead()) return resolve();
              const timer = setTimeout(() => worker.process.kill('SIGKILL'), killAfterMs);
              worker.once('exit', () => {
                clearTimeout(timer);
                resolve();
              });
              worker.process.kill('SIGTERM');
            }),
        ),
      );
    },
  };
}

function send(worker: Worker, message: FromPrimary): void {
  if (worker.isConnected()) worker.send(message);
}
