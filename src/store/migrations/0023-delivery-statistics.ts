import type { Kysely } from 'kysely';

/**
 * The gateways page of the administration site sums the delivery attempts of the last hour and
 * day per gateway (every worker records its attempts in the store): an index by time, ending
 * with the gateway, keeps that a range read however long the retention is.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('delivery_attempts_created_gateway')
    .on('delivery_attempts')
    .columns(['created_at', 'gateway'])
    .execute();
}
