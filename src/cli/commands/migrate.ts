import type { Command } from 'commander';
import { openDatabase } from '../../store/database.js';
import { migrateToLatest } from '../../store/migrate.js';
import { configFrom, type GlobalOptions, say } from '../context.js';
import type { CliIo } from '../io.js';

/** `passgate migrate`: bring the database schema up to date. */
export function registerMigrateCommand(program: Command, io: CliIo): void {
  program
    .command('migrate')
    .description('Apply pending database migrations (start does this too); a failing one changes nothing')
    .action(async () => {
      const config = configFrom(program.opts<GlobalOptions>());
      const database = await openDatabase(config.database.url, config.database);
      try {
        const { applied } = await migrateToLatest(database);
        say(io, applied.length > 0 ? `Applied: ${applied.join(', ')}` : 'The database is up to date.');
      } finally {
        await database.close();
      }
    });
}
