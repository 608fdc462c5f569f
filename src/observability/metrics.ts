import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Passgate's Prometheus metrics, in a registry of their own (no global state). */
export interface Metrics {
  registry: Registry;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
  logins: Counter<'outcome'>;
  /** Requests refused by the per-address rate limits, by entry-point group (a fixed set). */
  rateLimited: Counter<'entry'>;
  /** Addresses each rate limit remembers (bounded by `rateLimit.maxAddresses`). */
  rateLimitAddresses: Gauge<'entry'>;
  /** Requests by the worker slot that served them (`server.workers`): how the load spreads. */
  workerRequests: Counter<'worker'>;
  /** Runs of the scheduled clean-up (one worker of several runs it). */
  cleanUpRuns: Counter;
  /** Sign-in attempts by door and result (the attempts' result list), for dashboards without the database. */
  attempts: Counter<'door' | 'result'>;
  /** Sign-in attempts the writer dropped: its queue was full while the database was slow or away. */
  attemptsDropped: Counter;
  /**
   * Tells the seat gauges (`passgate_seats_used`, `passgate_seats_capacity` by pool) where to read
   * the licence seats' use, at each scrape (the store is the truth, shared by every worker).
   */
  observeSeats(read: () => Promise<Record<string, { used: number; capacity: number | null }>>): void;
}

/** Creates the registry with process metrics and Passgate's own. */
export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'passgate_' });
  let readSeats: Parameters<Metrics['observeSeats']>[0] | undefined;
  seatMetrics(registry, () => readSeats?.());
  return {
    observeSeats: (read) => {
      readSeats = read;
    },
    registry,
    httpDuration: new Histogram({
      name: 'passgate_http_request_duration_seconds',
      help: 'HTTP request duration by route group and status.',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    logins: new Counter({
      name: 'passgate_first_factor_total',
      help: 'Password checks by outcome (success, invalid_credentials, throttled ...).',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    rateLimited: new Counter({
      name: 'passgate_rate_limited_total',
      help: 'Requests refused with 429 by the per-address rate limits, by entry-point group.',
      labelNames: ['entry'],
      registers: [registry],
    }),
    rateLimitAddresses: new Gauge({
      name: 'passgate_rate_limit_addresses',
      help: 'Client addresses each per-address rate limit remembers in this process.',
      labelNames: ['entry'],
      registers: [registry],
    }),
    workerRequests: new Counter({
      name: 'passgate_worker_requests_total',
      help: 'HTTP requests by the worker slot (1..server.workers) that served them.',
      labelNames: ['worker'],
      registers: [registry],
    }),
    cleanUpRuns: new Counter({
      name: 'passgate_clean_up_runs_total',
      help: 'Runs of the scheduled clean-up job (retention.cleanUpIntervalSeconds).',
      registers: [registry],
    }),
    attempts: new Counter({
      name: 'passgate_sign_in_attempts_total',
      help: 'Sign-in attempts by door and result (success, wrong_password, wrong_code, denied, locked, throttled ...).',
      labelNames: ['door', 'result'],
      registers: [registry],
    }),
    attemptsDropped: new Counter({
      name: 'passgate_sign_in_attempts_dropped_total',
      help: 'Sign-in attempts not recorded because the queue of the attempt writer was full (attempts.queueSize).',
      registers: [registry],
    }),
  };
}

/**
 * Seats used and capacity per pool, read from the store at each scrape; every worker reports the
 * same figures, so the cluster's aggregate takes the maximum instead of the sum. A pool without a
 * capacity (no licence file) has no capacity series; a store that does not answer leaves them as they were.
 */
function seatMetrics(
  registry: Registry,
  read: () => Promise<Record<string, { used: number; capacity: number | null }>> | undefined,
): void {
  type Usage = Record<string, { used: number; capacity: number | null }> | undefined;
  let pending: Promise<Usage> | undefined;
  /** One read of the store per scrape, shared by both gauges. */
  const usage = (): Promise<Usage> => {
    pending ??= Promise.resolve(read())
      .catch(() => undefined)
      .finally(() => {
        pending = undefined;
      });
    return pending;
  };
  new Gauge({
    name: 'passgate_seats_used',
    help: 'Licence seats allocated, by pool (mfa, reset).',
    labelNames: ['pool'],
    registers: [registry],
    aggregator: 'max',
    async collect() {
      const pools = await usage();
      for (const [pool, figures] of Object.entries(pools ?? {})) this.set({ pool }, figures.used);
    },
  });
  new Gauge({
    name: 'passgate_seats_capacity',
    help: "Licence seats each pool may hold (the licence file's count); absent when unlimited.",
    labelNames: ['pool'],
    registers: [registry],
    aggregator: 'max',
    async collect() {
      const pools = await usage();
      for (const [pool, figures] of Object.entries(pools ?? {}))
        if (figures.capacity !== null) this.set({ pool }, figures.capacity);
    },
  });
}

/** Route label with unbounded parts (interaction ids, tokens) folded, to keep cardinality low. */
export function routeGroup(path: string): string {
  if (path.startsWith('/login/')) return '/login/:uid';
  if (path.startsWith('/oidc/auth/')) return '/oidc/auth/:uid';
  if (path.startsWith('/oidc/')) return path.split('/').slice(0, 4).join('/');
  return ['/healthz', '/readyz', '/metrics', '/.well-known/openid-configuration'].includes(path)
    ? path
    : 'other';
}
