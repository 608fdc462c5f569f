import type { Kysely } from 'kysely';

/**
 * Each throttle counter keeps the rule it was last charged under (window length, limit, sliding),
 * so that one statement can charge several counters with different rules (a sign-in's user and
 * address) and settle them after the attempt. Counters written before have no rule (0): their
 * next charge writes it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('throttle')
    .addColumn('window_ms', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .alterTable('throttle')
    .addColumn('max_failures', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .alterTable('throttle')
    .addColumn('sliding', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}
