import type { Kysely } from 'kysely';

/**
 * Self-service sessions ended by signing out. The session lives in a sealed cookie; this record
 * makes every server process refuse a copy of that cookie until it could no longer be valid.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('revoked_sessions')
    .addColumn('session_id', 'text', (c) => c.primaryKey())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('revoked_sessions_expires')
    .on('revoked_sessions')
    .column('expires_at')
    .execute();
}
