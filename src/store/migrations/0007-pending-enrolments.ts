import type { Kysely } from 'kysely';

/**
 * Authenticators being added on the self-service site: which session started each pending token
 * (only that session may see its secret) and when the unconfirmed token expires. The row is
 * written before the token, so a pending token without a live row is always an expired one.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('pending_enrolments')
    .addColumn('token_id', 'text', (c) => c.primaryKey())
    .addColumn('session_id', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('pending_enrolments_expires')
    .on('pending_enrolments')
    .column('expires_at')
    .execute();
}
