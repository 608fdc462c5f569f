import { type Kysely, sql } from 'kysely';

/**
 * Monitoring over 1,000,000 attempts (issue 17), third step. `sign_in_attempt_country_hours`
 * holds the attempts per country, UTC day and hour of day (0–23): a country's drill-down by hour
 * over whole days sums at most 24 rows a day instead of grouping every attempt of the country
 * (about 32,000 in the benchmark's 30 days of one country). Without the result, door and
 * application, so that it stays small (24 rows per country and day at most); a filter naming one
 * of them groups the attempts as before. Kept by the attempt writer in the transaction of each
 * batch and by the retention's deletions, like the day counts; filled here from the attempts
 * already stored. The primary key starts with the country: a drill-down reads one range.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('sign_in_attempt_country_hours')
    .addColumn('country', 'text', (c) => c.notNull())
    .addColumn('day', 'bigint', (c) => c.notNull())
    .addColumn('hour', 'integer', (c) => c.notNull())
    .addColumn('attempts', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('sign_in_attempt_country_hours_pk', ['country', 'day', 'hour'])
    .execute();
  await sql`insert into sign_in_attempt_country_hours (country, day, hour, attempts)
    select coalesce(country, ''), (at / 86400000) * 86400000, (at / 3600000) % 24, count(*)
    from sign_in_attempts
    group by coalesce(country, ''), (at / 86400000) * 86400000, (at / 3600000) % 24`.execute(db);
}
