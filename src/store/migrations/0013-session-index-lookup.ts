import type { Kysely } from 'kysely';

/**
 * A SAML LogoutRequest names the session by its SessionIndex: index the column so that finding
 * the session does not scan every application of every live session.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('session_applications_session_index')
    .on('session_applications')
    .column('session_index')
    .execute();
}
