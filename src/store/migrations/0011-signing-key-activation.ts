import { type Kysely, sql } from 'kysely';

/**
 * Signing keys get a third state besides current and retired: "next", published (so that SAML
 * service providers can trust it ahead of time) but not yet signing. A key is next while
 * `activated_at` is null; every existing key was active from its creation.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('signing_keys').addColumn('activated_at', 'bigint').execute();
  await sql`update signing_keys set activated_at = created_at`.execute(db);
  await db.schema.dropIndex('signing_keys_current').execute();
  // At most one current and one next key per purpose and algorithm, even with concurrent commands.
  await db.schema
    .createIndex('signing_keys_current')
    .on('signing_keys')
    .columns(['purpose', 'alg'])
    .unique()
    .where(sql<boolean>`retired_at is null and activated_at is not null`)
    .execute();
  await db.schema
    .createIndex('signing_keys_next')
    .on('signing_keys')
    .columns(['purpose', 'alg'])
    .unique()
    .where(sql<boolean>`retired_at is null and activated_at is null`)
    .execute();
}
