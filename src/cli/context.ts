import { systemClock } from '../clock.js';
import type { UserOperations } from '../engine/user-operations.js';
import { type Config, loadConfig } from '../server/config.js';
import { type Core, composeCore } from '../server/core.js';
import { composeUserOperations } from '../server/engine.js';
import { composeSessions } from '../server/sessions.js';
import { openDatabase } from '../store/database.js';
import { migrateToLatest } from '../store/migrate.js';
import { TOKEN_TYPES } from '../tokens/registry.js';
import type { TokenTypePlugin } from '../tokens/token-type.js';
import type { CliIo } from './io.js';

/** Options every command accepts. */
export interface GlobalOptions {
  config?: string;
}

/** Loads and validates the configuration named by `--config` or the environment. */
export function configFrom(options: GlobalOptions): Config {
  return loadConfig(options.config ? { file: options.config } : {});
}

/**
 * Runs a command against the store: opens the database once (no retries: a command should fail
 * fast and say why), brings the schema up to date, and closes it and the directory afterwards.
 * The core has the registry's token types, or `tokenTypes` (the CLI built over another list).
 */
export async function withCore<T>(
  options: GlobalOptions,
  run: (core: Core) => Promise<T>,
  tokenTypes: readonly TokenTypePlugin[] = TOKEN_TYPES,
): Promise<T> {
  const config = configFrom(options);
  const database = await openDatabase(config.database.url, config.database);
  try {
    await migrateToLatest(database);
    const core = composeCore(config, database, systemClock, { tokenTypePlugins: tokenTypes });
    try {
      return await run(core);
    } finally {
      await core.directory.close?.(); // the AD service connection, or the process would linger
    }
  } finally {
    await database.close();
  }
}

/** Writes one line to standard output. */
export function say(io: CliIo, line = ''): void {
  io.stdout.write(`${line}\n`);
}

/**
 * The operations administrators run on users, over a command's core: the same functions as the
 * administration site's. Sessions the command ends reach their OIDC clients through `sessions`
 * (a command waits for `sessions.settled()` before the store closes).
 */
export function userOperations(core: Core, sessions = composeSessions(core)): UserOperations {
  return composeUserOperations(core, sessions);
}
