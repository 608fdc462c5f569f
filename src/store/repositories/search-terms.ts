import type { Kysely } from 'kysely';
import type { Tables, UserRow } from '../tables.js';

/** The longest term kept; longer words (and query words) are cut to it, so prefixes still match. */
const TERM_LENGTH = 64;
/** Rows per multi-row insert (2 parameters each) and ids per `in (...)` list. */
const CHUNK = 500;

/** What a user's search terms are made of: the columns of the users row the users grid searches. */
export type SearchableUser = Pick<
  UserRow,
  'id' | 'username' | 'display_name' | 'email' | 'mobile' | 'groups'
>;

/** Words of a text in the one form terms and queries share: NFKC, lower case, letters and digits only. */
function words(text: string | null): string[] {
  if (!text) return [];
  return text
    .normalize('NFKC')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word.length > 0)
    .map((word) => word.slice(0, TERM_LENGTH));
}

/** A phone number as its digits only (the international digits, `+` and spacing dropped). */
function phoneDigits(text: string): string {
  return text.replace(/\D/g, '').slice(0, TERM_LENGTH);
}

/**
 * The terms a user is found by: every word of the user name, display name, e-mail address and
 * group names, and the mobile number's digits. A search matches a user when each of its words
 * is the beginning of one of these terms, so word-prefix search is an index range, not a scan.
 */
export function searchTermsOf(user: SearchableUser): string[] {
  const terms = new Set<string>();
  const groups = JSON.parse(user.groups) as string[];
  for (const value of [user.username, user.display_name, user.email, ...groups])
    for (const word of words(value)) terms.add(word);
  const digits = user.mobile ? phoneDigits(user.mobile) : '';
  if (digits) terms.add(digits);
  return [...terms];
}

/**
 * The words of a search box's text, each to match the beginning of a term. Text that looks like a
 * phone number ("+33 6 12") is one word of digits. Wildcards (`%`, `_`, `*`) are separators like
 * any punctuation: nothing in a search is a pattern. Blank text gives no words (no search);
 * punctuation alone is kept as one literal word, which no term (letters and digits) begins with.
 */
export function searchWords(text: string): string[] {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  if (/^\+?[\d\s().-]+$/.test(trimmed) && /\d/.test(trimmed)) return [phoneDigits(trimmed)];
  const found = words(trimmed);
  if (found.length > 0) return found;
  // PostgreSQL text cannot hold NUL: control characters go, '-' stands for nothing left.
  return [trimmed.replace(/\p{Cc}/gu, '').slice(0, TERM_LENGTH) || '-'];
}

/**
 * The smallest string greater than every string that begins with `prefix` (in byte order, which
 * is SQLite's BINARY and PostgreSQL's "C" collation): U+10FFFF is the highest code point.
 */
export function prefixUpperBound(prefix: string): string {
  return `${prefix}\u{10FFFF}`;
}

/**
 * Replaces the search terms of these users (inside the caller's transaction when it has one):
 * every write of a user's searched columns calls this, so the terms never lag the users table.
 */
export async function replaceSearchTerms(
  db: Kysely<Tables>,
  users: readonly SearchableUser[],
): Promise<void> {
  for (let i = 0; i < users.length; i += CHUNK) {
    const ids = users.slice(i, i + CHUNK).map((user) => user.id);
    await db.deleteFrom('user_search_terms').where('user_id', 'in', ids).execute();
  }
  await insertSearchTerms(db, users);
}

/** Adds the terms of users who have none yet (new users, the migration's backfill). */
export async function insertSearchTerms(db: Kysely<Tables>, users: readonly SearchableUser[]): Promise<void> {
  const rows = users.flatMap((user) => searchTermsOf(user).map((term) => ({ term, user_id: user.id })));
  for (let i = 0; i < rows.length; i += CHUNK)
    await db
      .insertInto('user_search_terms')
      .values(rows.slice(i, i + CHUNK))
      .execute();
}
