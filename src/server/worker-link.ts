import cluster from 'node:cluster';
import type { Registry } from 'prom-client';

/** The environment variable that gives a worker its slot (1..N); a replacement keeps the slot. */
export const WORKER_SLOT_VARIABLE = 'PASSGATE_WORKER_SLOT';

/** Set to 1 by the primary for a worker it forks while another already serves (see {@link WorkerLink.joining}). */
export const WORKER_JOINING_VARIABLE = 'PASSGATE_WORKER_JOINING';

/** The metrics of one worker, as prom-client serialises a registry. */
export type WorkerMetrics = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

/** What a worker tells the primary. */
export type FromWorker =
  | { passgate: 'ready' }
  | { passgate: 'metrics-request'; id: number }
  | { passgate: 'metrics-part'; id: number; metrics: WorkerMetrics };

/** What the primary tells a worker. */
export type FromPrimary =
  | { passgate: 'reload' }
  | { passgate: 'metrics-collect'; id: number }
  | { passgate: 'metrics'; id: number; text?: string; error?: string };

/** Whether an IPC message is one of Passgate's (prom-client and Node send their own on the same channel). */
export function isPassgateMessage<T extends { passgate: string }>(message: unknown): message is T {
  return typeof message === 'object' && message !== null && 'passgate' in message;
}

/**
 * A worker's end of its link to the primary (src/server/primary.ts): it says when it serves,
 * takes reload orders (the primary's SIGHUP), answers the primary's metrics collection with its
 * own registry and asks the primary for the sum over every worker.
 */
export interface WorkerLink {
  /** 1..N. Slot 1 runs the scheduled jobs (clean-up, AD synchronisation) for the whole server. */
  readonly slot: number;
  /**
   * Another worker already serves: node:cluster hands a worker connections as soon as it
   * listens, so this one listens only once its application is composed (it never answers
   * "Passgate is starting" to a client a ready worker could have served).
   */
  readonly joining: boolean;
  /** Tells the primary that this worker serves (the primary then starts the others). */
  ready(): void;
  /** Runs `reload` whenever the primary says so. */
  onReload(reload: () => void): void;
  /** Answers the primary's collections with `registry` from now on. */
  shareMetrics(registry: Registry): void;
  /** Prometheus text summed over every worker, from the primary. */
  clusterMetrics(): Promise<string>;
}

/** Time a scrape waits for the primary's sum before it fails. */
const METRICS_TIMEOUT_MS = 5000;

/** The link of this process when it is a worker started by the primary; undefined otherwise. */
export function workerLink(): WorkerLink | undefined {
  const slot = Number(process.env[WORKER_SLOT_VARIABLE]);
  if (!cluster.isWorker || !Number.isInteger(slot) || slot < 1) return undefined;
  const send = (message: FromWorker) => process.send?.(message);
  let registry: Registry | undefined;
  let reload: (() => void) | undefined;
  let nextId = 0;
  const waiting = new Map<number, (answer: { text?: string; error?: string }) => void>();
  process.on('message', (message: unknown) => {
    if (!isPassgateMessage<FromPrimary>(message)) return;
    if (message.passgate === 'reload') reload?.();
    else if (message.passgate === 'metrics-collect') {
      const own = registry ? registry.getMetricsAsJSON() : Promise.resolve([]);
      void own.then(
        (metrics) => send({ passgate: 'metrics-part', id: message.id, metrics }),
        () => send({ passgate: 'metrics-part', id: message.id, metrics: [] }),
      );
    } else if (message.passgate === 'metrics') waiting.get(message.id)?.(message);
  });
  return {
    slot,
    joining: process.env[WORKER_JOINING_VARIABLE] === '1',
    ready: () => send({ passgate: 'ready' }),
    onReload: (run) => {
      reload = run;
    },
    shareMetrics: (own) => {
      registry = own;
    },
    clusterMetrics: () => {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(id);
          reject(new Error('the primary did not answer the metrics request'));
        }, METRICS_TIMEOUT_MS);
        waiting.set(id, (answer) => {
          clearTimeout(timer);
          waiting.delete(id);
          if (answer.text === undefined) reject(new Error(answer.error ?? 'no metrics'));
          else resolve(answer.text);
        });
        send({ passgate: 'metrics-request', id });
      });
    },
  };
}
