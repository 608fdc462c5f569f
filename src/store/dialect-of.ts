import { type Kysely, PostgresAdapter } from 'kysely';

/**
 * Whether a Kysely handle (or a transaction, or a migration's handle) talks to PostgreSQL: the
 * few statements that differ by engine (collations, expression indexes) ask here instead of
 * being handed the dialect through every constructor.
 */
export function isPostgres<DB>(db: Kysely<DB>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}
