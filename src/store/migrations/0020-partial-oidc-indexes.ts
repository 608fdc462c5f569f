import type { Kysely } from 'kysely';

/** The oidc_payloads columns that only some models fill (grants link tokens; interactions and devices have their own keys). */
const SOMETIMES_SET = ['grant_id', 'uid', 'user_code'] as const;

/**
 * Most oidc-provider rows leave grant_id, uid or user_code empty (a client-credentials token
 * leaves all three), yet every row was written into each of their indexes. Lookups only ever ask
 * for a value, so the indexes keep the rows that have one: a token write touches two indexes
 * instead of five.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const column of SOMETIMES_SET) {
    const name = `oidc_payloads_${column}`;
    await db.schema.dropIndex(name).execute();
    await db.schema
      .createIndex(name)
      .on('oidc_payloads')
      .column(column)
      .where(column, 'is not', null)
      .execute();
  }
}
