import type { Kysely } from 'kysely';

/** IDs of SAML AuthnRequests already answered, kept until the request could no longer be accepted. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('saml_request_ids')
    .addColumn('sp', 'text', (c) => c.notNull())
    .addColumn('request_id', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('saml_request_ids_pk', ['sp', 'request_id'])
    .execute();
  await db.schema
    .createIndex('saml_request_ids_expires')
    .on('saml_request_ids')
    .column('expires_at')
    .execute();
}
