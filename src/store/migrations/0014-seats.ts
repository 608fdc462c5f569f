import type { Kysely } from 'kysely';
import { sql } from 'kysely';

/**
 * Licence seats (issue 16): who holds a seat of which pool, given by whom and how, apart from
 * the users themselves (creating or importing a user never needs a seat). One row per pool in
 * `seat_pools` is what an allocation locks, so that two workers never both take the last seat.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('seats')
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('pool', 'text', (c) => c.notNull())
    .addColumn('allocated_at', 'bigint', (c) => c.notNull())
    .addColumn('allocated_by', 'text', (c) => c.notNull())
    .addColumn('via', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('seats_pk', ['user_id', 'pool'])
    .execute();
  await db.schema.createIndex('seats_pool_via').on('seats').columns(['pool', 'via']).execute();

  await db.schema
    .createTable('seat_pools')
    .addColumn('pool', 'text', (c) => c.primaryKey())
    .addColumn('high_use', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await sql`insert into seat_pools (pool, high_use) values ('mfa', 0), ('reset', 0)`.execute(db);
}
