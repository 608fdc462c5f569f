import type { Command } from 'commander';
import { createLogger } from '../../observability/logger.js';
import { configFrom, type GlobalOptions } from '../context.js';
import type { CliIo } from '../io.js';

/** Set by a command that leaves a server running (the process must not exit). */
export interface RunState {
  keepAlive: boolean;
}

/** `passgate start`: run the server until SIGTERM or SIGINT. */
export function registerStartCommand(program: Command, io: CliIo, state: RunState): void {
  program
    .command('start')
    .description('Start the Passgate server (migrates the database first)')
    .action(async () => {
      const config = configFrom(program.opts<GlobalOptions>());
      const logger = createLogger(config.log.level);
      // Loaded here, not at the top: only `start` needs the web stack (and oidc-provider's
      // start-up notice), the other commands stay fast and quiet.
      const { startServer } = await import('../../server/start.js');
      const server = await startServer(config, {
        logger,
        announce: (text) => io.stderr.write(`\n${text}\n\n`),
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
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
      process.on('SIGHUP', () => {
        server.reload().then(
          () => logger.info('configuration reloaded'),
          (error: unknown) => logger.error({ err: error }, 'reload failed'),
        );
      });
      try {
        await server.ready;
        state.keepAlive = true;
      } catch (error) {
        await server.close().catch(() => {});
        throw error;
      }
    });
}
