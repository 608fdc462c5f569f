import type { Kysely } from 'kysely';

/**
 * SAML sign-ins in progress: what the SP asked (or, IdP-initiated, which SP), kept server-side
 * while the hosted login runs, and bound to the browser that started it by a secret whose hash
 * only is stored here.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('saml_flows')
    .addColumn('uid', 'text', (c) => c.primaryKey())
    .addColumn('sp', 'text', (c) => c.notNull())
    .addColumn('request_id', 'text')
    .addColumn('acs_url', 'text', (c) => c.notNull())
    .addColumn('relay_state', 'text')
    .addColumn('step_up', 'text')
    .addColumn('force_authn', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('secret_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('completed_at', 'bigint')
    .execute();
  await db.schema.createIndex('saml_flows_expires').on('saml_flows').column('expires_at').execute();
}
