import type { Kysely } from 'kysely';

/**
 * Every sign-in attempt of every door, one row each, for monitoring (counts, the world map, the
 * drill-down of a country). The indexes serve its queries: a period (time, with the country so
 * that the map reads the index alone), one country, one result and one user over a period.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('sign_in_attempts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('user_id', 'text')
    .addColumn('user_name', 'text', (c) => c.notNull())
    .addColumn('door', 'text', (c) => c.notNull())
    .addColumn('application', 'text')
    .addColumn('address', 'text', (c) => c.notNull())
    .addColumn('network', 'text')
    .addColumn('country', 'text')
    .addColumn('first_seen', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('result', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('rule', 'text')
    .addColumn('action', 'text')
    .addColumn('method', 'text')
    .execute();
  const index = (name: string, columns: string[]) =>
    db.schema.createIndex(`sign_in_attempts_${name}`).on('sign_in_attempts').columns(columns).execute();
  await index('at_country', ['at', 'country']);
  await index('country_at', ['country', 'at']);
  await index('result_at', ['result', 'at']);
  await index('user_at', ['user_name', 'at']);
}
