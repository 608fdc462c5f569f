import { type Migration, type MigrationResultSet, Migrator } from 'kysely';
import { describeError } from '../errors.js';
import type { Database } from './database.js';
import { StoreErrors } from './errors.js';
import { migrations as builtIn } from './migrations/index.js';

/** Outcome of a migration run. */
export interface MigrationReport {
  /** Names of the migrations applied by this run, in order. */
  applied: string[];
}

/**
 * Brings the schema up to date. All pending migrations run in one transaction on both engines,
 * so a failure leaves the database exactly as it was; PostgreSQL also serialises concurrent
 * runs with an advisory lock.
 */
export async function migrateToLatest(
  database: Database,
  migrations: Record<string, Migration> = builtIn,
): Promise<MigrationReport> {
  const migrator = new Migrator({
    db: database.db,
    provider: { getMigrations: async () => migrations },
    migrationTableName: 'schema_migrations',
    migrationLockTableName: 'schema_migrations_lock',
    // Numbers are reserved ahead by parallel work and may land out of order (0017 before 0016):
    // a database that ran the later one still gets the earlier one, instead of refusing to start.
    allowUnorderedMigrations: true,
  });
  const result: MigrationResultSet = await migrator.migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName;
    throw StoreErrors.MIGRATION_FAILED({
      detail: `migration ${failed ?? '(unknown)'} failed, nothing was changed: ${describeError(result.error)}`,
      cause: result.error,
    });
  }
  return {
    applied: (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName),
  };
}
