import { beforeEach, expect, it } from 'vitest';
import { StoreErrors } from '../../../src/store/errors.js';
import { DirectoryUsersRepository } from '../../../src/store/repositories/directory-users.js';
import type { DirectoryUser } from '../../../src/store/repositories/user.js';
import { type UserSearch, UserSearchRepository } from '../../../src/store/repositories/user-search.js';
import { UsersRepository } from '../../../src/store/repositories/users.js';
import { describeContract, rejectionOf } from './contract-store.js';

/** An AD user as a synchronisation reads it. */
const adUser = (n: number, over: Partial<DirectoryUser> = {}): DirectoryUser => ({
  externalId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  username: `ad${n}`,
  dn: `CN=ad${n},DC=example,DC=test`,
  displayName: `Directory Person ${n}`,
  email: `ad${n}@example.test`,
  mobile: null,
  groups: [],
  disabled: false,
  attributes: {},
  ...over,
});

describeContract('UserSearchRepository (users grid search)', (store) => {
  let users: UsersRepository;
  let directory: DirectoryUsersRepository;
  let search: UserSearchRepository;
  const names = async (query: UserSearch) => (await search.search(query)).users.map((u) => u.username);

  beforeEach(async () => {
    users = new UsersRepository(store.database.db, store.clock);
    directory = new DirectoryUsersRepository(store.database.db, store.clock);
    search = new UserSearchRepository(store.database.db, store.clock);
    await users.create({
      username: 'alice.liddell',
      displayName: 'Alice Liddell',
      email: 'alice@wonder.example',
      mobile: '+44 20 7946 0000',
      groups: ['VPN Users', '100%_Club'],
    });
    await users.create({
      username: 'bob',
      displayName: 'Bob Smith',
      email: 'b.smith@example.test',
      groups: ['Sales'],
    });
    await users.create({ username: 'a_b', displayName: 'Under Score', groups: [] });
    await users.create({
      username: 'carol',
      displayName: null,
      email: null,
      groups: ['R&D'],
      disabled: true,
    });
  });

  it('finds users by the beginning of any word of their name, display name, e-mail or groups, all words together', async () => {
    expect(await names({ text: 'ali' })).toEqual(['alice.liddell']);
    expect(await names({ text: 'LIDD' })).toEqual(['alice.liddell']);
    expect(await names({ text: 'smi' })).toEqual(['bob']);
    expect(await names({ text: 'wonder.example' })).toEqual(['alice.liddell']);
    expect(await names({ text: 'vpn' })).toEqual(['alice.liddell']);
    expect(await names({ text: 'sales bob' })).toEqual(['bob']);
    expect(await names({ text: 'sales alice' })).toEqual([]);
    expect(await names({ text: 'r&d' })).toEqual(['carol']);
    expect(await names({ text: 'iddell' })).toEqual([]);
  });

  it('finds a mobile number by its digits however it is spaced', async () => {
    for (const text of ['+44 20 7946', '4420794', '+44-20-7946-0000'])
      expect(await names({ text })).toEqual(['alice.liddell']);
  });

  it('takes LIKE wildcards literally: % and _ are not patterns', async () => {
    expect(await names({ text: '%' })).toEqual([]);
    expect(await names({ text: '_' })).toEqual([]);
    expect(await names({ text: '%%' })).toEqual([]);
    // "100%_club" is the words 100 and club; "a_b" the words a and b.
    expect(await names({ text: '100%_' })).toEqual(['alice.liddell']);
    expect(await names({ text: 'a_b' })).toEqual(['a_b']);
    expect(await names({ text: 'b%' })).toEqual(['a_b', 'bob']);
    expect(await names({ text: '   ' })).toEqual(['a_b', 'alice.liddell', 'bob', 'carol']);
  });

  it('keeps the terms current through synchronisation, sign-in updates and renames', async () => {
    await directory.syncFromDirectory([adUser(1, { groups: ['Finance'] }), adUser(2)], 'ad');
    expect(await names({ text: 'finance' })).toEqual(['ad1']);
    await directory.syncFromDirectory(
      [adUser(1, { groups: ['Legal'], displayName: 'Renamed Person' })],
      'ad',
    );
    expect(await names({ text: 'finance' })).toEqual([]);
    expect(await names({ text: 'legal renamed' })).toEqual(['ad1']);
    await users.upsertFromDirectory(adUser(2, { email: 'new.address@corp.example' }), 'ad');
    expect(await names({ text: 'corp' })).toEqual(['ad2']);
    await directory.markRemovedMany([adUser(2).externalId]);
    expect(await directory.releaseRemovedName('ad2', 'ad')).toBe(true);
    expect(await names({ text: 'ad2', status: 'removed' })).toEqual([expect.stringMatching(/^ad2~/)]);
    expect(await names({ text: 'ad', source: 'ad', sort: 'username' })).toEqual([
      'ad1',
      expect.stringMatching(/^ad2~/),
    ]);
  });

  it('filters by source, status, factors, locked tokens and seats', async () => {
    const alice = (await users.findByUsername('alice.liddell'))!;
    const bob = (await users.findByUsername('bob'))!;
    const db = store.database.db;
    const token = (id: string, userId: string, status: string, lockedUntil: number | null) => ({
      id,
      user_id: userId,
      type: 'totp',
      hardware: 0,
      counter: 0,
      drift: 0,
      status,
      failures: lockedUntil ? 5 : 0,
      locked_until: lockedUntil,
      created_at: store.clock(),
      updated_at: store.clock(),
    });
    await db
      .insertInto('tokens')
      .values([
        token('t1', alice.id, 'active', null),
        token('t2', bob.id, 'disabled', store.clock() + 60_000),
      ])
      .execute();
    await db
      .insertInto('seats')
      .values({
        user_id: bob.id,
        pool: 'reset',
        allocated_at: store.clock(),
        allocated_by: 'test',
        via: 'hand',
      })
      .execute();
    await directory.syncFromDirectory([adUser(7)], 'ad');
    expect(await names({ factor: 'any' })).toEqual(['alice.liddell']);
    expect(await names({ factor: 'none' })).toEqual(['a_b', 'ad7', 'bob', 'carol']);
    expect(await names({ lockedTokens: true })).toEqual(['bob']);
    store.clock.advance(60_000);
    expect(await names({ lockedTokens: true })).toEqual([]);
    expect(await names({ seat: 'reset' })).toEqual(['bob']);
    expect(await names({ seat: 'no-reset', source: 'local' })).toEqual(['a_b', 'alice.liddell', 'carol']);
    expect(await names({ seat: 'none', status: 'enabled' })).toEqual(['a_b', 'ad7', 'alice.liddell']);
    expect(await names({ status: 'disabled' })).toEqual(['carol']);
    expect(await names({ source: 'ad' })).toEqual(['ad7']);
    const [row] = (await search.search({ text: 'bob' })).users;
    expect(row).toMatchObject({ username: 'bob', factors: 0, lockedTokens: 0, seats: ['reset'] });
  });

  it('sorts by every column both ways and pages forwards and backwards with cursors', async () => {
    expect(await names({ sort: 'displayName' })).toEqual(['carol', 'alice.liddell', 'bob', 'a_b']);
    expect(await names({ sort: 'displayName', descending: true })).toEqual([
      'a_b',
      'bob',
      'alice.liddell',
      'carol',
    ]);
    // Disabled first, then the enabled ones (ties in id order).
    const byStatus = await names({ sort: 'status', descending: true });
    expect(byStatus[0]).toBe('carol');
    expect(byStatus.slice(1).sort()).toEqual(['a_b', 'alice.liddell', 'bob']);
    // No e-mail sorts first (ties in id order).
    const byEmail = await names({ sort: 'email' });
    expect(byEmail.slice(2)).toEqual(['alice.liddell', 'bob']);
    expect(byEmail.slice(0, 2).sort()).toEqual(['a_b', 'carol']);
    const first = await search.search({ pageSize: 3 });
    expect(first.users.map((u) => u.username)).toEqual(['a_b', 'alice.liddell', 'bob']);
    expect(first).toMatchObject({ total: 4, exact: true, previous: null });
    const second = await search.search({ pageSize: 3, position: { after: first.next! } });
    expect(second.users.map((u) => u.username)).toEqual(['carol']);
    expect(second.next).toBeNull();
    const back = await search.search({ pageSize: 3, position: { before: second.previous! } });
    expect(back.users.map((u) => u.username)).toEqual(['a_b', 'alice.liddell', 'bob']);
    expect(back.previous).toBeNull();
    const last = await search.search({ pageSize: 3, position: 'last' });
    expect(last.users.map((u) => u.username)).toEqual(['alice.liddell', 'bob', 'carol']);
    expect(last.next).toBeNull();
    expect(last.previous).not.toBeNull();
  });

  it('refuses a cursor of another sort, a forged cursor and a page size out of range', async () => {
    const { next } = await search.search({ pageSize: 1 });
    for (const query of [
      { sort: 'email', position: { after: next! } },
      { position: { after: 'not-a-cursor' } },
      { position: { before: Buffer.from('["username",{},"x"]').toString('base64url') } },
      { pageSize: 0 },
      { pageSize: 501 },
      { sort: 'password_hash' },
    ] as UserSearch[]) {
      const error = await rejectionOf(search.search(query));
      expect(StoreErrors.is(error, 'USER_SEARCH_INVALID')).toBe(true);
    }
  });
});
