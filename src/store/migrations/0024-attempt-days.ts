import { type Kysely, sql } from 'kysely';

/**
 * Monitoring over 1,000,000 attempts (issue 17). `sign_in_attempt_days` holds the attempts per
 * UTC day, country, result, door and application (and how many were a first for their user),
 * kept by the attempt writer in the transaction of each batch: the map over whole days reads
 * these counts instead of every attempt. Text keys are '' for none, so that they can be a
 * primary key on both engines. It is filled here from the attempts already stored.
 * Two covering indexes replace the two narrower ones they start like: the period's (the map's
 * partial days) and the country's (the drill-down reads the index alone).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('sign_in_attempt_days')
    .addColumn('day', 'bigint', (c) => c.notNull())
    .addColumn('country', 'text', (c) => c.notNull())
    .addColumn('result', 'text', (c) => c.notNull())
    .addColumn('door', 'text', (c) => c.notNull())
    .addColumn('application', 'text', (c) => c.notNull())
    .addColumn('attempts', 'bigint', (c) => c.notNull())
    .addColumn('first_seen', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('sign_in_attempt_days_pk', ['day', 'country', 'result', 'door', 'application'])
    .execute();
  await sql`insert into sign_in_attempt_days (day, country, result, door, application, attempts, first_seen)
    select (at / 86400000) * 86400000, coalesce(country, ''), result, door, coalesce(application, ''),
      count(*), sum(first_seen)
    from sign_in_attempts
    group by (at / 86400000) * 86400000, coalesce(country, ''), result, door, coalesce(application, '')`.execute(
    db,
  );
  await db.schema
    .createIndex('sign_in_attempts_map')
    .on('sign_in_attempts')
    .columns(['at', 'country', 'result', 'first_seen'])
    .execute();
  await db.schema
    .createIndex('sign_in_attempts_country_drill')
    .on('sign_in_attempts')
    .columns(['country', 'at', 'result', 'door', 'application', 'user_name', 'network'])
    .execute();
  await db.schema.dropIndex('sign_in_attempts_at_country').execute();
  await db.schema.dropIndex('sign_in_attempts_country_at').execute();
}
