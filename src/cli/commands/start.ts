import cluster from 'node:cluster';
import os from 'node:os';
import type { Command } from 'commander';
import { sqliteFileOf } from '../../config/database-url.js';
import { describeError } from '../../errors.js';
import { createLogger, type Logger } from '../../observability/logger.js';
import type { Config } from '../../server/config.js';
import { configFrom, type GlobalOptions } from '../context.js';
import type { CliIo } from '../io.js';

/** Set by a command that leaves a server running (the process must not exit). */
export interface RunState {
  keepAlive: boolean;
}

/** `server.workers`, or one per CPU when unset. */
export function workerCount(config: Pick<Config, 'server'>): number {
  return config.server.workers ?? os.availableParallelism();
}

/** `passgate start`: run the server until SIGTERM or SIGINT. */
export function registerStartCommand(program: Command, io: CliIo, state: RunState): void {
  program
    .command('start')
    .description('Start the Passgate server (migrates the database first)')
    .action(async () => {
      const config = configFrom(program.opts<GlobalOptions>());
      const logger = createLogger(config.log.level);
      const workers = workerCount(config);
      if (workers > 1 && cluster.isPrimary) await supervise(config, workers, logger);
      else await serve(config, cluster.isWorker ? logger.child({ pid: process.pid }) : logger, io);
      state.keepAlive = true;
    });
}

/** One server process: the only one (`server.workers: 1`), or a worker started by the primary. */
async function serve(config: Config, logger: Logger, io: CliIo): Promise<void> {
  // Loaded here, not at the top: only `start` needs the web stack (and oidc-provider's
  // start-up notice), the other commands stay fast and quiet.
  const { startServer } = await import('../../server/start.js');
  const { workerLink } = await import('../../server/worker-link.js');
  const worker = workerLink();
  const server = await startServer(config, {
    logger,
    // The first run's hint once, not once per worker.
    ...(worker && worker.slot !== 1 ? {} : { announce: (text: string) => io.stderr.write(`\n${text}\n\n`) }),
    ...(worker ? { worker } : {}),
  });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    server.close().then(
      () => {
        logger.info('stopped');
        logger.flush();
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  const reload = () => {
    server.reload().then(
      () => logger.info('configuration reloaded'),
      (error: unknown) => logger.error({ err: error }, 'reload failed'),
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', reload);
  worker?.onReload(reload);
  try {
    await server.ready;
  } catch (error) {
    await server.close().catch(() => {});
    throw error;
  }
}

/**
 * The primary of `workers` worker processes (src/server/primary.ts): SIGHUP reaches every
 * worker, SIGTERM and SIGINT stop them all gracefully. A start that fails in the first worker
 * ends the primary with that worker's exit code (the worker has said why).
 */
async function supervise(config: Config, workers: number, logger: Logger): Promise<void> {
  const { startPrimary, StartFailed } = await import('../../server/primary.js');
  const primary = startPrimary(workers, logger);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    primary.stop((config.server.shutdownGraceSeconds + 10) * 1000).then(() => {
      logger.info('stopped');
      logger.flush();
      process.exit(0);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => primary.reload());
  try {
    await primary.ready;
  } catch (error) {
    if (!(error instanceof StartFailed)) throw error;
    logger.flush();
    process.exit(error.exitCode);
  }
  await checkpointForWorkers(config, logger);
}

/**
 * On SQLite, the primary checkpoints the file for its workers (which open it with
 * `checkpoints: false`), once the first worker has created and migrated it: the checkpoints'
 * copies and fsyncs then stall no worker's event loop.
 */
async function checkpointForWorkers(config: Config, logger: Logger): Promise<void> {
  const file = sqliteFileOf(config.database.url);
  if (file === undefined || file === ':memory:') return;
  try {
    const { checkpointFile } = await import('../../store/sqlite-checkpointer.js');
    const stop = await checkpointFile(file);
    process.once('exit', stop);
  } catch (error) {
    // The workers' commits still checkpoint a log grown past its backstop (sqlite-checkpointer.ts).
    logger.error({ error: describeError(error), file }, 'the primary cannot checkpoint the SQLite file');
  }
}
