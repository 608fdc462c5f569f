// The store side of AD sync on both backends, without a DC: a page of directory users in one
// transaction (created, updated, unchanged, restored, a name in conflict), removal marks, the
// users of given groups, names handed over from removed users, and the one-sync-at-a-time lease.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/database.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { DirectoryStateRepository } from '../../src/store/repositories/directory-state.js';
import { DirectoryUsersRepository } from '../../src/store/repositories/directory-users.js';
import { type DirectoryUser, UsersRepository } from '../../src/store/repositories/users.js';
import { fakeClock } from '../support/core.js';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../support/databases.js';

const directoryUser = (n: number, extra: Partial<DirectoryUser> = {}): DirectoryUser => ({
  externalId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  username: `user${n}`,
  dn: `CN=user${n},OU=Staff,DC=example,DC=test`,
  displayName: `User ${n}`,
  email: `user${n}@example.test`,
  mobile: `+3361234${String(n).padStart(4, '0')}`,
  groups: ['staff'],
  disabled: false,
  attributes: { userPrincipalName: `user${n}@example.test` },
  ...extra,
});

describe.each(BACKENDS)('AD sync storage (%s)', (backend) => {
  let testDatabase: TestDatabase;
  let close: () => Promise<void>;
  let users: UsersRepository;
  let directoryUsers: DirectoryUsersRepository;
  let state: DirectoryStateRepository;
  const clock = fakeClock();

  beforeEach(async () => {
    testDatabase = await createTestDatabase(backend);
    const database = await openDatabase(testDatabase.url);
    await migrateToLatest(database);
    users = new UsersRepository(database.db, clock);
    directoryUsers = new DirectoryUsersRepository(database.db, clock);
    state = new DirectoryStateRepository(database.db, clock);
    close = async () => {
      await database.close();
      await testDatabase.drop();
    };
  });
  afterEach(async () => {
    await close();
  });

  it('stores a page in one go: new users created, changed ones updated, the others only marked synced', async () => {
    const first = await directoryUsers.syncFromDirectory(
      [1, 2, 3].map((n) => directoryUser(n)),
      'ad',
    );
    expect(first.map((r) => r.outcome)).toEqual(['created', 'created', 'created']);
    expect(first.map((r) => r.wasDisabled)).toEqual([null, null, null]);
    const before = (await users.findByUsername('user2'))!;
    expect(before).toMatchObject({ source: 'ad', groups: ['staff'], syncedAt: clock(), removedAt: null });

    clock.advance(60_000);
    const second = await directoryUsers.syncFromDirectory(
      [directoryUser(1), directoryUser(2, { disabled: true, groups: ['staff', 'vpn'] }), directoryUser(4)],
      'ad',
    );
    expect(second.map((r) => [r.outcome, r.wasDisabled])).toEqual([
      ['unchanged', false],
      ['updated', false],
      ['created', null],
    ]);
    expect(await users.findByUsername('user1')).toMatchObject({
      updatedAt: clock() - 60_000,
      syncedAt: clock(),
    });
    expect(await users.findByUsername('user2')).toMatchObject({
      id: before.id,
      disabled: true,
      groups: ['staff', 'vpn'],
      updatedAt: clock(),
    });
    expect(await users.findByUsername('user3')).toMatchObject({ syncedAt: clock() - 60_000 });
  });

  it('keeps the rest of a page when one name belongs to another user, and reports that one', async () => {
    const local = await users.create({ username: 'user2' });
    const results = await directoryUsers.syncFromDirectory(
      [1, 2, 3].map((n) => directoryUser(n)),
      'ad',
    );
    expect(results.map((r) => r.outcome)).toEqual(['created', 'conflict', 'created']);
    expect(await users.findByUsername('user2')).toMatchObject({ id: local.id, source: 'local' });
    expect(await users.count()).toBe(3);
  });

  it('marks users removed once, lists the active ones, and brings one back in scope with its id', async () => {
    await directoryUsers.syncFromDirectory(
      [1, 2, 3].map((n) => directoryUser(n)),
      'ad',
    );
    await users.create({ username: 'local' });
    const [one, two] = [directoryUser(1).externalId, directoryUser(2).externalId];
    clock.advance(1000);
    expect(await directoryUsers.markRemovedMany([one, two, 'not-known'])).toBe(2);
    expect(await directoryUsers.markRemovedMany([one])).toBe(0);
    expect(await directoryUsers.activeExternalIds('ad')).toEqual([directoryUser(3).externalId]);
    const removed = (await users.findByUsername('user1'))!;
    expect(removed.removedAt).toBe(clock());

    // A sign-in refreshes the user but does not bring them back: only the sync decides.
    clock.advance(1000);
    const { user: signedIn } = await users.upsertFromDirectory(
      directoryUser(1, { mobile: '+33699999999' }),
      'ad',
    );
    expect(signedIn).toMatchObject({ removedAt: removed.removedAt, mobile: '+33699999999' });
    expect((await users.findByUsername('user1'))!.removedAt).toBe(removed.removedAt);

    const [back] = await directoryUsers.syncFromDirectory([directoryUser(1)], 'ad');
    expect(back!.outcome).toBe('updated');
    expect(await users.findByUsername('user1')).toMatchObject({ id: removed.id, removedAt: null });
  });

  it('finds the users listed in given groups, by exact name', async () => {
    await directoryUsers.syncFromDirectory(
      [
        directoryUser(1, { groups: ['vpn', 'staff'] }),
        directoryUser(2, { groups: ['vpn-admins'] }),
        directoryUser(3, { groups: [] }),
        directoryUser(4, { groups: ['a "quoted" group'] }),
      ],
      'ad',
    );
    expect(await directoryUsers.inGroups('ad', ['vpn'])).toEqual([directoryUser(1).externalId]);
    expect((await directoryUsers.inGroups('ad', ['vpn-admins', 'a "quoted" group'])).sort()).toEqual(
      [directoryUser(2).externalId, directoryUser(4).externalId].sort(),
    );
    expect(await directoryUsers.inGroups('ad', ['nobody'])).toEqual([]);
  });

  it('hands the name of a removed directory user over, never that of an active or local one', async () => {
    await directoryUsers.syncFromDirectory([directoryUser(1), directoryUser(2)], 'ad');
    await users.create({ username: 'local' });
    expect(await directoryUsers.releaseRemovedName('user1', 'ad')).toBe(false);
    expect(await directoryUsers.releaseRemovedName('local', 'ad')).toBe(false);
    const old = (await users.findByUsername('user1'))!;
    await directoryUsers.markRemovedMany([old.externalId!]);
    expect(await directoryUsers.releaseRemovedName('user1', 'ad')).toBe(true);
    expect(await users.findById(old.id)).toMatchObject({ username: `user1~${old.id}`, removedAt: clock() });
    const [created] = await directoryUsers.syncFromDirectory([directoryUser(9, { username: 'user1' })], 'ad');
    expect(created!.outcome).toBe('created');
  });

  it('grants the sync lease to one holder at a time, until it expires or is given back', async () => {
    const taken = await Promise.all(
      ['a', 'b', 'c', 'd'].map((h) => state.acquire('lease', h, clock() + 60_000)),
    );
    expect(taken.filter(Boolean)).toHaveLength(1);
    const holder = ['a', 'b', 'c', 'd'][taken.indexOf(true)]!;
    const other = holder === 'a' ? 'b' : 'a';
    expect(await state.acquire('lease', other, clock() + 60_000)).toBe(false);
    await state.release('lease', other); // not theirs: nothing happens
    expect(await state.acquire('lease', other, clock() + 60_000)).toBe(false);
    clock.advance(60_001);
    expect(await state.acquire('lease', other, clock() + 60_000)).toBe(true);
    await state.release('lease', other);
    expect(await state.get('lease')).toBeUndefined();
    expect(await state.acquire('lease', holder, clock() + 60_000)).toBe(true);
  });
});
