import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import express, { type NextFunction, type Request, type Response } from 'express';
import { type Clock, systemClock } from '../clock.js';
import { developmentWarnings } from '../config/development-warnings.js';
import { describeError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import { requestLogger } from '../observability/logger.js';
import { createMetrics, type Metrics, routeGroup } from '../observability/metrics.js';
import { type MetricsExposure, metricsExposure, metricsHandler } from '../observability/metrics-endpoint.js';
import { type Database, openDatabase } from '../store/database.js';
import { StoreErrors } from '../store/errors.js';
import { migrateToLatest } from '../store/migrate.js';
import { settleClientAddress, stripUntrustedForwarding, trustedProxyMatcher } from '../web/security.js';
import { composeServices, type Services } from './compose.js';
import type { Config } from './config.js';
import { type Core, composeCore } from './core.js';
import { unsupportedNodeWarning } from './node-support.js';
import { collectStartUpGarbage } from './start-up-garbage.js';
import type { WorkerLink } from './worker-link.js';

/** A started Passgate server. */
export interface RunningServer {
  /** The external base URL (issuer). */
  publicUrl: string;
  /** The TCP port actually bound. */
  port: number;
  /** Base URL of the metrics listener, when `metrics.listen` is set. */
  metricsUrl?: string;
  /** Settles when the server is serving (or has given up: a failed migration). */
  ready: Promise<void>;
  /** Settles once what the doors deferred has loaded after ready (or failed, or start gave up). */
  warmedUp: Promise<void>;
  isReady(): boolean;
  /** The core, once the database is open. */
  core(): Core | undefined;
  /** The composed application, once ready (tests and in-process doors). */
  services(): Services | undefined;
  /** Re-reads application metadata (SIGHUP). */
  reload(): Promise<void>;
  /** Stops accepting, lets in-flight requests finish (up to the grace period), closes the store. */
  close(): Promise<void>;
}

/** Optional collaborators of {@link startServer}. */
export interface StartOptions {
  logger: Logger;
  clock?: Clock;
  /** Told, in plain words, what a new administrator should do next (first run). */
  announce?: (text: string) => void;
  /**
   * When this process is one worker of several (src/server/primary.ts): its link to the
   * primary. Only slot 1 runs the scheduled jobs; /metrics answers the sum over every worker.
   */
  worker?: WorkerLink;
}

/**
 * Starts Passgate. The HTTP server listens at once (so /healthz answers and /readyz can say why
 * it is not ready); the database is connected with retries and backoff, migrated, and only then
 * is the application mounted. A worker that joins others already serving listens only then.
 */
export async function startServer(config: Config, options: StartOptions): Promise<RunningServer> {
  const { logger } = options;
  const clock = options.clock ?? systemClock;
  const metrics = createMetrics();
  const { worker } = options;
  worker?.shareMetrics(metrics.registry);
  const scrape = worker ? () => worker.clusterMetrics() : () => metrics.registry.metrics();
  const exposure = metricsExposure(config.metrics);
  let database: Database | undefined;
  let core: Core | undefined;
  let services: Services | undefined;
  let lastDatabaseError = 'connecting';
  const stopping = new AbortController();

  const shell = createShell({
    config,
    logger,
    metrics,
    scrape,
    slot: String(worker?.slot ?? 1),
    exposure,
    app: () => services,
    readiness: async () => {
      const checks: Record<string, string> = {};
      if (!database) checks.database = lastDatabaseError;
      else checks.database = await outcome(() => database!.ping());
      for (const { name, check } of services?.readiness ?? []) checks[name] = await outcome(check);
      if (!services && database) checks.application = 'starting';
      return checks;
    },
  });
  const server = createServer(shell);
  server.keepAliveTimeout = 65_000;
  // A worker joining others that serve takes connections only once ready (below).
  const joining = worker?.joining === true;
  let port = joining ? config.server.port : await listen(server, config.server.port, config.server.host);
  const metricsServer = exposure.listen ? createServer(metricsApp(metrics, scrape, exposure)) : undefined;
  let metricsUrl: string | undefined;
  if (metricsServer && exposure.listen) {
    const { host, port: wanted } = exposure.listen;
    const bound = await listen(metricsServer, wanted, host).catch(async (error: unknown) => {
      await closeGracefully(server, 0);
      throw error;
    });
    metricsUrl = `http://${hostForUrl(host)}:${bound}`;
  }
  const publicUrl = (config.server.publicUrl ?? `http://localhost:${port}`).replace(/\/+$/, '');
  // Said once, by the first worker of several.
  const nodeWarning = (worker?.slot ?? 1) === 1 ? unsupportedNodeWarning() : undefined;
  if (nodeWarning) logger.warn(nodeWarning);
  for (const warning of (worker?.slot ?? 1) === 1 ? developmentWarnings(config, publicUrl) : [])
    logger.warn(`development default: ${warning}`);
  logger.info({ port, publicUrl, mode: config.mode, ...(metricsUrl ? { metricsUrl } : {}) }, 'listening');

  let warm: () => void = () => {};
  const warmedUp = new Promise<void>((resolve) => {
    warm = resolve;
  });
  const ready = (async () => {
    // A worker's primary checkpoints an SQLite file (cli/commands/start.ts): its loop never waits for one.
    database = await connectWithRetry(config, logger, stopping.signal, !worker, (error) => {
      lastDatabaseError = error;
    });
    const { applied } = await migrateToLatest(database);
    if (applied.length > 0) logger.info({ applied }, 'database migrated');
    core = composeCore(config, database, clock, { logger, publicUrl });
    services = await composeServices(core, {
      publicUrl,
      logger,
      metrics,
      scheduledJobs: (worker?.slot ?? 1) === 1,
    });
    if (joining) port = await listen(server, config.server.port, config.server.host);
    logger.info({ database: database.displayUrl, ...(worker ? { worker: worker.slot } : {}) }, 'ready');
    worker?.ready();
    // Serving already; what the doors deferred loads now, before the first sign-in needs it. The
    // start-up garbage (that of the warm-up too) is collected once the warm-up is done.
    void services
      .warmUp()
      .then(() => logger.info('warmed up'))
      .catch(() => {})
      .finally(() => {
        warm();
        if (!stopping.signal.aborted) collectStartUpGarbage(stopping.signal);
      });
    if (options.announce && (await core.users.count()) === 0) options.announce(firstRunHint(config));
  })();
  ready.catch(() => warm());

  return {
    publicUrl,
    get port() {
      return port;
    },
    ...(metricsUrl ? { metricsUrl } : {}),
    ready,
    warmedUp,
    isReady: () => services !== undefined,
    core: () => core,
    services: () => services,
    reload: async () => {
      await services?.reload();
    },
    close: async () => {
      stopping.abort();
      await services?.stop();
      await closeGracefully(server, config.server.shutdownGraceSeconds * 1000);
      if (metricsServer) await closeGracefully(metricsServer, 0);
      await ready.catch(() => {});
      // The sign-ins that finished are recorded before the store closes.
      await core?.attempts.flush();
      await core?.directory.close?.();
      await database?.close();
    },
  };
}

interface ShellOptions {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  scrape: () => Promise<string>;
  /** The worker slot that serves here (1 without workers), for the requests-by-worker counter. */
  slot: string;
  exposure: MetricsExposure;
  /** The composed application (its raw endpoints, then its express app), once ready. */
  app: () => Pick<Services, 'app' | 'raw'> | undefined;
  readiness: () => Promise<Record<string, string>>;
}

/**
 * The outermost layer, alive from the first second: forwarding headers from untrusted peers
 * removed, request ids and logs, metrics, /healthz, /readyz and (behind its token, when served
 * here) /metrics, then the application once it is ready (503 before).
 */
function createShell(options: ShellOptions): express.Express {
  const { logger, metrics } = options;
  const shell = express();
  shell.disable('x-powered-by');
  const isTrustedProxy = trustedProxyMatcher(options.config.server.trustedProxies);
  shell.set('trust proxy', (address: string) => isTrustedProxy(address));
  shell.use(stripUntrustedForwarding(isTrustedProxy));
  shell.use(settleClientAddress());
  shell.use(requestLogger(logger));
  shell.use((req, res, next) => {
    metrics.workerRequests.inc({ worker: options.slot });
    const end = metrics.httpDuration.startTimer({ method: req.method, route: routeGroup(req.path) });
    res.on('finish', () => end({ status: String(res.statusCode) }));
    next();
  });
  shell.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  shell.get('/readyz', async (_req, res) => {
    const checks = await options.readiness();
    const ok = Object.values(checks).every((v) => v === 'ok');
    res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'not ready', checks });
  });
  if (options.exposure.onPublicPort)
    shell.get('/metrics', metricsHandler(metrics, options.exposure.token, options.scrape));
  shell.use((req: Request, res: Response, next: NextFunction) => {
    const services = options.app();
    if (services) return services.raw(req, res) ?? services.app(req, res, next);
    res
      .status(503)
      .set('Retry-After', '5')
      .type('text')
      .send('Passgate is starting. Please try again shortly.\n');
  });
  return shell;
}

/** The metrics listener: /metrics (behind the token when one is set) and nothing else. */
function metricsApp(
  metrics: Metrics,
  scrape: () => Promise<string>,
  exposure: MetricsExposure,
): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/metrics', metricsHandler(metrics, exposure.token, scrape));
  app.use((_req, res) => {
    res.status(404).type('text').send('Not found\n');
  });
  return app;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

async function connectWithRetry(
  config: Config,
  logger: Logger,
  signal: AbortSignal,
  checkpoints: boolean,
  onError: (reason: string) => void,
): Promise<Database> {
  let delay = config.database.retryInitialDelayMs;
  for (;;) {
    try {
      return await openDatabase(config.database.url, {
        ...config.database,
        checkpoints,
        onConnectionLost: (error) =>
          logger.warn(
            { error: describeError(error) },
            'database connection lost; reconnecting on the next query',
          ),
      });
    } catch (error) {
      if (!StoreErrors.is(error, 'DB_UNREACHABLE')) throw error;
      onError(`unreachable: ${error.message}`);
      logger.error(`database unreachable: ${error.message}; retrying in ${Math.round(delay / 100) / 10}s`);
      await sleep(delay, undefined, { signal });
      delay = Math.min(delay * 2, config.database.retryMaxDelayMs);
    }
  }
}

async function outcome(check: () => Promise<void>): Promise<string> {
  try {
    await Promise.race([
      check(),
      sleep(3000, undefined, { ref: false }).then(() => Promise.reject(new Error('timed out'))),
    ]);
    return 'ok';
  } catch (error) {
    return `error: ${describeError(error)}`;
  }
}

async function closeGracefully(server: Server, graceMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const timer = setTimeout(() => server.closeAllConnections(), graceMs);
  await closed;
  clearTimeout(timer);
}

/** The README's example of adding a user (test/cli/cli.test.ts checks that the README still shows it). */
export const FIRST_USER_EXAMPLE =
  'npx passgate user add alice --display-name "Alice Liddell" --email alice@example.test --group staff';

function firstRunHint(config: Config): string {
  const configFlag = config.source ? ` --config ${config.source}` : '';
  return [
    'Passgate has no users yet. Create the first one in another terminal, for example:',
    '',
    `  ${FIRST_USER_EXAMPLE}${configFlag}`,
    '',
    'Type the password at the prompt (twice). When standard input is not a terminal, its first line is the password.',
  ].join('\n');
}
