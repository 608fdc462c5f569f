// The users grid over 100,000 users on each engine: every search, filter, sort and page equals
// what a plain JavaScript reference computes from the rows that were written.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../../src/store/database.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import {
  COUNT_LIMIT,
  type UserSearch,
  UserSearchRepository,
  type UserSortColumn,
} from '../../src/store/repositories/user-search.js';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../support/databases.js';
import { type GridUser, seedGridUsers } from '../support/user-grid-store.js';

const USERS = 100_000;
const T0 = 1_767_225_600_000;

/** Words as the reference sees them: letters and digits, lower case. */
const wordsOf = (text: string | null) =>
  (text ?? '')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);

/** What the reference reads of a user, worked out once per user rather than once per search. */
interface Entry {
  user: GridUser;
  terms: string[];
  digits: string;
  status: 'enabled' | 'disabled' | 'removed';
  active: boolean;
}

const entriesOf = new WeakMap<readonly GridUser[], Entry[]>();

function entries(users: readonly GridUser[]): Entry[] {
  let found = entriesOf.get(users);
  if (!found) {
    found = users.map((user) => ({
      user,
      terms: [user.username, user.display_name, user.email, ...(JSON.parse(user.groups) as string[])].flatMap(
        wordsOf,
      ),
      digits: user.mobile?.replace(/\D/g, '') ?? '',
      status: user.removed_at !== null ? 'removed' : user.disabled ? 'disabled' : 'enabled',
      active: user.factor === 'active' || user.factor === 'locked',
    }));
    entriesOf.set(users, found);
  }
  return found;
}

/** The reference's filter for one search. */
function matcher(query: UserSearch): (entry: Entry) => boolean {
  const phone = query.text ? /^\+?[\d\s().-]+$/.test(query.text.trim()) : false;
  const wanted = query.text ? (phone ? [query.text.replace(/\D/g, '')] : wordsOf(query.text)) : [];
  return ({ user, terms, digits, status, active }) => {
    if (query.text) {
      // Punctuation alone is one literal word, which no term (letters and digits) begins with.
      if (wanted.length === 0) return false;
      if (phone && !digits.startsWith(wanted[0]!)) return false;
      if (!phone && !wanted.every((w) => terms.some((t) => t.startsWith(w)))) return false;
    }
    if (query.source && user.source !== query.source) return false;
    if (query.status && status !== query.status) return false;
    if (query.factor === 'any' && !active) return false;
    if (query.factor === 'none' && active) return false;
    if (query.lockedTokens && user.factor !== 'locked') return false;
    if (query.seat === 'mfa' && !user.seats.includes('mfa')) return false;
    if (query.seat === 'reset' && !user.seats.includes('reset')) return false;
    if (query.seat === 'no-mfa' && user.seats.includes('mfa')) return false;
    if (query.seat === 'no-reset' && user.seats.includes('reset')) return false;
    if (query.seat === 'none' && user.seats.length > 0) return false;
    return true;
  };
}

const KEYS: Record<UserSortColumn, (u: GridUser) => string | number> = {
  username: (u) => u.username,
  displayName: (u) => (u.display_name ?? '').toLowerCase(),
  email: (u) => (u.email ?? '').toLowerCase(),
  mobile: (u) => u.mobile ?? '',
  source: (u) => u.source,
  status: (u) => (u.removed_at !== null ? 2 : u.disabled),
  createdAt: (u) => u.created_at,
  syncedAt: (u) => u.synced_at ?? 0,
};

/** The ids a search must return, in order (byte order of text keys, then the id). */
function reference(users: readonly GridUser[], query: UserSearch): string[] {
  const key = KEYS[query.sort ?? 'username'];
  const sign = query.descending ? -1 : 1;
  const cmp = (a: string | number, b: string | number) => (a < b ? -1 : a > b ? 1 : 0);
  // Each key once per user (not once per comparison): 100,000 users, sorted for every search.
  return entries(users)
    .filter(matcher(query))
    .map(({ user }) => ({ id: user.id, key: key(user) }))
    .sort((a, b) => sign * (cmp(a.key, b.key) || cmp(a.id, b.id)))
    .map(({ id }) => id);
}

/** Searches of the grid: text, filters and sorts combined. */
const SEARCHES: UserSearch[] = [
  {},
  { sort: 'displayName' },
  { sort: 'email', descending: true },
  { sort: 'mobile' },
  { sort: 'source', descending: true },
  { sort: 'status' },
  { sort: 'createdAt', descending: true },
  { sort: 'syncedAt' },
  { text: 'anna' },
  { text: 'anna berg', sort: 'displayName' },
  { text: 'Zoe', status: 'removed' },
  { text: 'sales', sort: 'email' },
  { text: 'vpn users', factor: 'none', sort: 'createdAt' },
  { text: '100%_club', source: 'local' },
  { text: 'legal_team', seat: 'reset', descending: true },
  { text: '+33 6 12' },
  { text: 'corp.example', lockedTokens: true, sort: 'mobile' },
  { text: '%' },
  { text: '_' },
  { status: 'disabled', sort: 'displayName' },
  { factor: 'any', status: 'enabled', sort: 'mobile' },
  { lockedTokens: true },
  { source: 'local', lockedTokens: true, sort: 'email' },
  { seat: 'mfa', factor: 'none', sort: 'status', descending: true },
  { seat: 'none', source: 'ad', sort: 'syncedAt', descending: true },
  { seat: 'no-mfa', text: 'hugo' },
];

describe.each(BACKENDS)('users grid over 100,000 users (%s)', (backend) => {
  let testDatabase: TestDatabase;
  let database: Database;
  let users: GridUser[];
  let grid: UserSearchRepository;

  beforeAll(async () => {
    testDatabase = await createTestDatabase(backend);
    database = await openDatabase(testDatabase.url);
    await migrateToLatest(database);
    users = await seedGridUsers(database.db, USERS, { t0: T0 });
    if (backend === 'postgres') await sql`analyze`.execute(database.db);
    grid = new UserSearchRepository(database.db, () => T0);
  }, 1_200_000);

  afterAll(async () => {
    await database?.close();
    await testDatabase?.drop();
  });

  it('stored every user and their search terms', async () => {
    expect(users).toHaveLength(USERS);
    expect((await grid.search({})).total).toBe(USERS);
  });

  it.each(SEARCHES.map((query) => [JSON.stringify(query), query]))(
    'first and last pages and the count of %s equal the reference',
    async (_name, query) => {
      const expected = reference(users, query);
      const first = await grid.search({ ...query, pageSize: 50 });
      expect(first.users.map((u) => u.id)).toEqual(expected.slice(0, 50));
      // Only a filtered count stops at COUNT_LIMIT; sorting alone filters nothing.
      const filtered = Object.keys(query).some((key) => key !== 'sort' && key !== 'descending');
      expect(first.exact).toBe(expected.length <= COUNT_LIMIT || !filtered);
      expect(first.total).toBe(first.exact ? expected.length : COUNT_LIMIT);
      expect(first.previous).toBeNull();
      expect(first.next === null).toBe(expected.length <= 50);
      const last = await grid.search({ ...query, pageSize: 50, position: 'last' });
      expect(last.users.map((u) => u.id)).toEqual(expected.slice(-50));
      if (first.next) {
        const second = await grid.search({ ...query, pageSize: 50, position: { after: first.next } });
        expect(second.users.map((u) => u.id)).toEqual(expected.slice(50, 100));
        const back = await grid.search({ ...query, pageSize: 50, position: { before: second.previous! } });
        expect(back.users.map((u) => u.id)).toEqual(expected.slice(0, 50));
      }
    },
  );

  it('walks every page of a search forwards and back to the start, each user once, in order', async () => {
    const query: UserSearch = { text: 'anna', sort: 'email', pageSize: 200 };
    const expected = reference(users, query);
    expect(expected.length).toBeGreaterThan(1_000);
    const seen: string[] = [];
    let page = await grid.search(query);
    for (;;) {
      seen.push(...page.users.map((u) => u.id));
      if (!page.next) break;
      page = await grid.search({ ...query, position: { after: page.next } });
    }
    expect(seen).toEqual(expected);
    const backwards: string[] = [];
    page = await grid.search({ ...query, position: 'last' });
    for (;;) {
      backwards.unshift(...page.users.map((u) => u.id));
      if (!page.previous) break;
      page = await grid.search({ ...query, position: { before: page.previous } });
    }
    expect(backwards).toEqual(expected);
  });

  it('lists each row with its token counts and seats', async () => {
    const { users: rows } = await grid.search({ lockedTokens: true, pageSize: 5 });
    const byId = new Map(users.map((u) => [u.id, u]));
    for (const row of rows) {
      expect(row.lockedTokens).toBe(1);
      expect(row.factors).toBe(1);
      expect(row.seats).toEqual(byId.get(row.id)!.seats);
    }
  });
});
