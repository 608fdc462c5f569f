import type { Kysely } from 'kysely';

/**
 * The context of past logins, for contextual authentication policies: networks a user keeps
 * completing MFA from (learned trust, `passgate trust`) and the countries and devices each user
 * has signed in from (the "new country" and "new device" conditions).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('trusted_networks')
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('network', 'text', (c) => c.notNull())
    .addColumn('successes', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('first_success_at', 'bigint', (c) => c.notNull())
    .addColumn('last_success_at', 'bigint', (c) => c.notNull())
    .addColumn('trusted_until', 'bigint')
    .addColumn('revoked_at', 'bigint')
    .addPrimaryKeyConstraint('trusted_networks_pk', ['user_id', 'network'])
    .execute();

  await db.schema
    .createTable('login_history')
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('first_seen_at', 'bigint', (c) => c.notNull())
    .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('login_history_pk', ['user_id', 'kind', 'value'])
    .execute();
}
