import { beforeEach, expect, it } from 'vitest';
import { StoreErrors } from '../../../src/store/errors.js';
import { UsersRepository } from '../../../src/store/repositories/users.js';
import { describeContract, rejectionOf, T0 } from './contract-store.js';

describeContract('UsersRepository', (store) => {
  let users: UsersRepository;
  beforeEach(() => {
    users = new UsersRepository(store.database.db, store.clock);
  });

  it('stores a user with a normalised name and finds it by id and by any casing or spacing of the name', async () => {
    const created = await users.create({
      username: '  Alice.Liddell ',
      displayName: 'Alice Liddell',
      email: 'alice@example.test',
      mobile: '+44 20 7946 0000',
      groups: ['staff'],
    });
    expect(created.username).toBe('alice.liddell');

    const byId = await users.findById(created.id);
    expect(byId).toEqual({
      id: created.id,
      username: 'alice.liddell',
      displayName: 'Alice Liddell',
      email: 'alice@example.test',
      mobile: '+44 20 7946 0000',
      groups: ['staff'],
      disabled: false,
      source: 'local',
      createdAt: T0,
      updatedAt: T0,
      externalId: null,
      dn: null,
      attributes: {},
      syncedAt: null,
      removedAt: null,
    });
    for (const spelling of ['alice.liddell', 'ALICE.LIDDELL', '  Alice.Liddell\t']) {
      expect((await users.findByUsername(spelling))?.id).toBe(created.id);
    }
  });

  it('treats compatibility forms of a name (NFKC) as the same name', async () => {
    const created = await users.create({ username: 'ＢＯＢ' });
    expect(created.username).toBe('bob');
    expect((await users.findByUsername('Bob'))?.id).toBe(created.id);
    expect(StoreErrors.is(await rejectionOf(users.create({ username: 'bob' })), 'CONFLICT')).toBe(true);
  });

  it('returns nothing for an unknown id or name', async () => {
    await users.create({ username: 'carol' });
    expect(await users.findById('00000000-0000-0000-0000-000000000000')).toBeUndefined();
    expect(await users.findByUsername('caroline')).toBeUndefined();
    expect(await users.findCredentials('caroline')).toBeUndefined();
  });

  it('refuses a second user whose name differs only in case with a CONFLICT error', async () => {
    await users.create({ username: 'dave' });
    const error = await rejectionOf(users.create({ username: ' DAVE ', email: 'other@example.test' }));
    expect(StoreErrors.is(error, 'CONFLICT')).toBe(true);
    expect(error).toMatchObject({ code: 'CONFLICT', status: 409 });
    expect(await users.count()).toBe(1);
    expect((await users.findByUsername('dave'))?.email).toBeNull();
  });

  it('lists users ordered by name, a page at a time, and counts them', async () => {
    for (const name of ['mallory', 'Bob', 'alice', 'trent', 'eve', 'Carol']) {
      await users.create({ username: name });
    }
    const names = (page: { username: string }[]) => page.map((u) => u.username);
    expect(names(await users.list())).toEqual(['alice', 'bob', 'carol', 'eve', 'mallory', 'trent']);
    expect(names(await users.list({ limit: 2 }))).toEqual(['alice', 'bob']);
    expect(names(await users.list({ limit: 2, offset: 2 }))).toEqual(['carol', 'eve']);
    expect(names(await users.list({ limit: 2, offset: 4 }))).toEqual(['mallory', 'trent']);
    expect(await users.list({ limit: 2, offset: 6 })).toEqual([]);
    const count = await users.count();
    expect(count).toBe(6);
    expect(typeof count).toBe('number');
  });

  it('counts zero users in an empty store', async () => {
    expect(await users.count()).toBe(0);
    expect(await users.list()).toEqual([]);
  });

  it('disables and re-enables a user by name and records when it changed', async () => {
    const created = await users.create({ username: 'erin' });
    store.clock.advance(5_000);
    const disabled = await users.setDisabled('ERIN', true);
    expect(disabled).toMatchObject({
      id: created.id,
      disabled: true,
      createdAt: T0,
      updatedAt: T0 + 5_000,
    });
    expect((await users.findById(created.id))?.disabled).toBe(true);

    store.clock.advance(5_000);
    const enabled = await users.setDisabled('erin', false);
    expect(enabled).toMatchObject({ disabled: false, updatedAt: T0 + 10_000 });
    expect((await users.findById(created.id))?.disabled).toBe(false);
  });

  it('raises NOT_FOUND when disabling an unknown user and changes nobody', async () => {
    await users.create({ username: 'frank' });
    const error = await rejectionOf(users.setDisabled('nobody', true));
    expect(StoreErrors.is(error, 'NOT_FOUND')).toBe(true);
    expect(error).toMatchObject({ status: 404 });
    expect((await users.findByUsername('frank'))?.disabled).toBe(false);
  });

  it('round-trips groups as arrays, including none at all', async () => {
    const groups = ['staff', 'VPN Users', 'Ünïcode — grüppe', 'with "quotes", commas'];
    const withGroups = await users.create({ username: 'grace', groups });
    const without = await users.create({ username: 'heidi' });
    expect((await users.findById(withGroups.id))?.groups).toEqual(groups);
    expect((await users.findById(without.id))?.groups).toEqual([]);
  });

  it('round-trips booleans as booleans and timestamps as numbers', async () => {
    store.clock.set(T0 + 123);
    const a = await users.create({ username: 'ivan', disabled: true });
    const b = await users.create({ username: 'judy', disabled: false });
    for (const [id, disabled] of [
      [a.id, true],
      [b.id, false],
    ] as const) {
      const stored = (await users.findById(id))!;
      expect(stored.disabled).toBe(disabled);
      expect(typeof stored.createdAt).toBe('number');
      expect(typeof stored.updatedAt).toBe('number');
      expect(stored.createdAt).toBe(T0 + 123);
    }
    const listed = await users.list();
    expect(listed.map((u) => typeof u.createdAt)).toEqual(['number', 'number']);
    expect(listed.map((u) => u.disabled)).toEqual([true, false]);
  });

  it('keeps password hashes out of user objects and hands them only to the credential lookup', async () => {
    const created = await users.create({ username: 'kim', passwordHash: '$scrypt$ln=10$abc$def' });
    expect(created).not.toHaveProperty('passwordHash');
    expect(await users.findById(created.id)).not.toHaveProperty('passwordHash');
    expect((await users.list())[0]).not.toHaveProperty('passwordHash');
    expect(await users.findCredentials(' KIM ')).toEqual({
      user: await users.findById(created.id),
      passwordHash: '$scrypt$ln=10$abc$def',
    });

    store.clock.advance(1_000);
    await users.setPasswordHash(created.id, '$scrypt$ln=10$new$hash');
    const after = await users.findCredentials('kim');
    expect(after?.passwordHash).toBe('$scrypt$ln=10$new$hash');
    expect(after?.user.updatedAt).toBe(T0 + 1_000);
  });

  it('keeps a user without a local password (directory-sourced) as null', async () => {
    await users.create({ username: 'leo', source: 'ad' });
    expect(await users.findCredentials('leo')).toMatchObject({
      user: { source: 'ad' },
      passwordHash: null,
    });
  });
});
