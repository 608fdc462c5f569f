import type { Kysely } from 'kysely';

/**
 * What a SAML sign-in must meet besides a sign-in (the AuthnRequest's RequestedAuthnContext and
 * Subject), kept with its flow; and secrets made once and kept sealed under the master key (the
 * key of the SAML pairwise NameIDs), which must survive restarts and master-key changes alike.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('saml_flows').addColumn('requirements', 'text').execute();
  await db.schema
    .createTable('stored_secrets')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('sealed', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
}
