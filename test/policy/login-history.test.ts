import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deviceKey, LoginHistory } from '../../src/policy/authentication/context/login-history.js';
import { type Database, openDatabase } from '../../src/store/database.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { LoginHistoryRepository } from '../../src/store/repositories/login-history.js';
import { UsersRepository } from '../../src/store/repositories/users.js';
import { type FakeClock, fakeClock } from '../support/core.js';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../support/databases.js';

describe.each(BACKENDS)('login history (%s)', (backend) => {
  let testDatabase: TestDatabase;
  let database: Database;
  let clock: FakeClock;
  let repository: LoginHistoryRepository;
  let history: LoginHistory;
  let alice: string;
  let bob: string;

  beforeEach(async () => {
    testDatabase = await createTestDatabase(backend);
    database = await openDatabase(testDatabase.url);
    await migrateToLatest(database);
    clock = fakeClock();
    repository = new LoginHistoryRepository(database.db);
    history = new LoginHistory(repository, clock);
    const users = new UsersRepository(database.db, clock);
    alice = (await users.create({ username: 'alice' })).id;
    bob = (await users.create({ username: 'bob' })).id;
  });

  afterEach(async () => {
    await database?.close();
    await testDatabase?.drop();
  });

  it("counts a user's very first login as a new country and a new device", async () => {
    expect(await history.seen(alice, 'DE', 'device-1')).toEqual({ newCountry: true, newDevice: true });
  });

  it('knows a recorded country and device again, and tells new ones apart', async () => {
    await history.record(alice, 'DE', 'device-1');
    expect(await history.seen(alice, 'DE', 'device-1')).toEqual({ newCountry: false, newDevice: false });
    expect(await history.seen(alice, 'de', 'device-2')).toEqual({ newCountry: false, newDevice: true });
    expect(await history.seen(alice, 'FR', 'device-1')).toEqual({ newCountry: true, newDevice: false });
  });

  it('never calls an unknown country or device new, and does not record them', async () => {
    expect(await history.seen(alice, null, null)).toEqual({ newCountry: false, newDevice: false });
    await history.record(alice, null, null);
    expect(await repository.list(alice)).toEqual([]);
  });

  it('only reads when asked whether something is new', async () => {
    await history.seen(alice, 'DE', 'device-1');
    expect(await repository.list(alice)).toEqual([]);
  });

  it('keeps each user’s history apart', async () => {
    await history.record(alice, 'DE', 'device-1');
    expect(await history.seen(bob, 'DE', 'device-1')).toEqual({ newCountry: true, newDevice: true });
  });

  it('stores device ids only as hashes', async () => {
    await history.record(alice, 'DE', 'secret-cookie-value');
    const values = (await repository.list(alice)).map((e) => e.value);
    expect(values).toContain(deviceKey('secret-cookie-value'));
    expect(values.join()).not.toContain('secret-cookie-value');
  });

  it('remembers at most the cap of devices, forgetting the least recently seen', async () => {
    const capped = new LoginHistory(repository, clock, 3);
    for (const device of ['d1', 'd2', 'd3']) {
      await capped.record(alice, 'DE', device);
      clock.advance(1000);
    }
    await capped.record(alice, 'DE', 'd1'); // seen again: now the most recent
    clock.advance(1000);
    await capped.record(alice, 'DE', 'd4');
    expect(await capped.seen(alice, null, 'd2')).toEqual({ newCountry: false, newDevice: true });
    for (const device of ['d1', 'd3', 'd4']) {
      expect((await capped.seen(alice, null, device)).newDevice).toBe(false);
    }
    expect((await repository.list(alice)).filter((e) => e.kind === 'device')).toHaveLength(3);
  });

  it('keeps 50 devices per user by default', async () => {
    for (let i = 0; i < 55; i++) {
      await history.record(alice, null, `device-${i}`);
      clock.advance(1000);
    }
    expect(await repository.list(alice)).toHaveLength(50);
    expect((await history.seen(alice, null, 'device-4')).newDevice).toBe(true);
    expect((await history.seen(alice, null, 'device-5')).newDevice).toBe(false);
  });

  it('records concurrent logins of one user without failing', async () => {
    await Promise.all(Array.from({ length: 10 }, () => history.record(alice, 'DE', 'device-1')));
    expect(await repository.list(alice)).toHaveLength(2);
  });
});
