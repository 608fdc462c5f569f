import { type Kysely, sql } from 'kysely';

/**
 * Monitoring over 1,000,000 attempts (issue 17), second step. `sign_in_attempt_country_days`
 * holds the attempts per UTC day, country and result (and how many were a first for their user):
 * the day counts of 0024 without the door and application, a few times fewer rows, so that the
 * map, the chart and the grid's count of a filter that names no door or application sum a few
 * thousand rows for 30 days instead of some twenty thousand. Kept by the attempt writer in the
 * transaction of each batch like the day counts, and filled here from the attempts already stored.
 * The day counts get an index by country, for a country's drill-down.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('sign_in_attempt_country_days')
    .addColumn('day', 'bigint', (c) => c.notNull())
    .addColumn('country', 'text', (c) => c.notNull())
    .addColumn('result', 'text', (c) => c.notNull())
    .addColumn('attempts', 'bigint', (c) => c.notNull())
    .addColumn('first_seen', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('sign_in_attempt_country_days_pk', ['day', 'country', 'result'])
    .execute();
  await sql`insert into sign_in_attempt_country_days (day, country, result, attempts, first_seen)
    select (at / 86400000) * 86400000, coalesce(country, ''), result, count(*), sum(first_seen)
    from sign_in_attempts
    group by (at / 86400000) * 86400000, coalesce(country, ''), result`.execute(db);
  await db.schema
    .createIndex('sign_in_attempt_days_country')
    .on('sign_in_attempt_days')
    .columns(['country', 'day'])
    .execute();
}
