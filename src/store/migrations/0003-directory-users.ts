import type { Kysely } from 'kysely';

/**
 * Users from an external directory (Active Directory): their stable id there (objectGUID), their
 * DN, the mapped attributes, when they were last synchronised and whether they left the scope.
 * Also a small key/value table for synchronisation state (the highest uSNChanged seen).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('users').addColumn('external_id', 'text').execute();
  await db.schema.alterTable('users').addColumn('dn', 'text').execute();
  await db.schema
    .alterTable('users')
    .addColumn('attributes', 'text', (c) => c.notNull().defaultTo('{}'))
    .execute();
  await db.schema.alterTable('users').addColumn('synced_at', 'bigint').execute();
  await db.schema.alterTable('users').addColumn('removed_at', 'bigint').execute();
  await db.schema.createIndex('users_external_id').on('users').column('external_id').unique().execute();

  await db.schema
    .createTable('directory_state')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
}
