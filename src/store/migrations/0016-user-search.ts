import { type Kysely, sql } from 'kysely';
import { isPostgres } from '../dialect-of.js';
import { insertSearchTerms, type SearchableUser } from '../repositories/search-terms.js';
import type { Tables } from '../tables.js';

/** Users read per backfill batch. */
const BATCH = 2_000;

/**
 * The users grid over 100,000 users: a table of search terms (a word-prefix search is an index
 * range on it, group names included), filled for the users already stored; one index per
 * sortable column, ending with the id, so that any sort and keyset page reads only its page; and
 * the token indexes the factor filters probe.
 * On PostgreSQL text keys use the "C" collation: byte order, like SQLite, whatever the
 * database's locale, so prefix ranges and orders are the same on both engines.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const pg = isPostgres(db);
  const c = pg ? ' collate "C"' : '';
  await db.schema
    .createTable('user_search_terms')
    .addColumn('term', pg ? sql`text collate "C"` : 'text', (col) => col.notNull())
    .addColumn('user_id', 'text', (col) => col.notNull().references('users.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('user_search_terms_pk', ['term', 'user_id'])
    .execute();
  // (user_id, term): replacing a user's terms, and probing one user's terms while a sort index is walked.
  await db.schema
    .createIndex('user_search_terms_user_term')
    .on('user_search_terms')
    .columns(['user_id', 'term'])
    .execute();
  // The token filters: "has an active factor" probed per user, "locked tokens" read from the few locked.
  await db.schema.createIndex('tokens_user_status').on('tokens').columns(['user_id', 'status']).execute();
  await db.schema
    .createIndex('tokens_locked_until')
    .on('tokens')
    .columns(['locked_until', 'user_id'])
    .execute();
  // The seat filters read a pool's holders (the primary key starts with the user).
  await db.schema.createIndex('seats_pool_user').on('seats').columns(['pool', 'user_id']).execute();

  const sortKeys: Record<string, string> = {
    username: `username${c}`,
    display_name: `(lower(coalesce(display_name, '')))${c}`,
    email: `(lower(coalesce(email, '')))${c}`,
    mobile: `(coalesce(mobile, ''))${c}`,
    source: `source${c}`,
    status: '(case when removed_at is not null then 2 else disabled end)',
    created_at: 'created_at',
    synced_at: '(coalesce(synced_at, 0))',
  };
  for (const [name, key] of Object.entries(sortKeys))
    await sql.raw(`create index users_sort_${name} on users (${key}, id${c})`).execute(db);

  await backfill(db as Kysely<Tables>);
}

async function backfill(db: Kysely<Tables>): Promise<void> {
  let after = '';
  for (;;) {
    const users: SearchableUser[] = await db
      .selectFrom('users')
      .select(['id', 'username', 'display_name', 'email', 'mobile', 'groups'])
      .where('id', '>', after)
      .orderBy('id')
      .limit(BATCH)
      .execute();
    if (users.length === 0) return;
    await insertSearchTerms(db, users);
    after = users.at(-1)!.id;
  }
}
