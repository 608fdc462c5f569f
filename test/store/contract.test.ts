import { createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import { type Adapter, type AdapterPayload, errors } from 'oidc-provider';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSecretBox, SecretBoxErrors } from '../../src/crypto/secret-box.js';
import { Throttle, type ThrottleRule } from '../../src/engine/throttle.js';
import { type PrivateJwk, type SigningAlgorithm, SigningKeys } from '../../src/keys/signing-keys.js';
import { createOidcAdapter, pruneOidcPayloads } from '../../src/protocols/oidc/adapter.js';
import { type Database, openDatabase } from '../../src/store/database.js';
import { StoreErrors } from '../../src/store/errors.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { AuditRepository } from '../../src/store/repositories/audit.js';
import { ThrottleRepository } from '../../src/store/repositories/throttle.js';
import { UsersRepository } from '../../src/store/repositories/users.js';
import { isUniqueViolation } from '../../src/store/unique-violation.js';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../support/databases.js';

/** A clock the test moves by hand, in epoch milliseconds. */
interface FakeClock {
  (): number;
  advance(ms: number): void;
  set(ms: number): void;
}

// Far beyond 2^31 so that a 32-bit integer column or a string-typed bigint would show.
const T0 = 1_767_225_600_000;

function fakeClock(start = T0): FakeClock {
  let now = start;
  const clock = (() => now) as FakeClock;
  clock.advance = (ms) => {
    now += ms;
  };
  clock.set = (ms) => {
    now = ms;
  };
  return clock;
}

/** Settles every promise and splits the outcomes. */
async function settle<T>(promises: Promise<T>[]): Promise<{ fulfilled: T[]; rejected: unknown[] }> {
  const results = await Promise.allSettled(promises);
  return {
    fulfilled: results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : [])),
    rejected: results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : [])),
  };
}

/** The error a promise rejects with (fails the test when it resolves). */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject, but it resolved');
}

describe.each(BACKENDS)('storage contract (%s)', (backend) => {
  let testDatabase: TestDatabase;
  let database: Database;
  let clock: FakeClock;
  /** Extra handles opened by a test (other "processes" on the same database). */
  let extraHandles: Database[];

  beforeEach(async () => {
    testDatabase = await createTestDatabase(backend);
    database = await openDatabase(testDatabase.url);
    await migrateToLatest(database);
    clock = fakeClock();
    extraHandles = [];
  });

  afterEach(async () => {
    for (const handle of extraHandles) await handle.close();
    await database?.close();
    await testDatabase?.drop();
  });

  async function openAnotherHandle(): Promise<Database> {
    const handle = await openDatabase(testDatabase.url);
    extraHandles.push(handle);
    return handle;
  }

  describe('UsersRepository', () => {
    let users: UsersRepository;
    beforeEach(() => {
      users = new UsersRepository(database.db, clock);
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
      clock.advance(5_000);
      const disabled = await users.setDisabled('ERIN', true);
      expect(disabled).toMatchObject({
        id: created.id,
        disabled: true,
        createdAt: T0,
        updatedAt: T0 + 5_000,
      });
      expect((await users.findById(created.id))?.disabled).toBe(true);

      clock.advance(5_000);
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
      clock.set(T0 + 123);
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

      clock.advance(1_000);
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

  describe('ThrottleRepository and Throttle', () => {
    const rule: ThrottleRule = { maxFailures: 5, windowSeconds: 60 };
    let repository: ThrottleRepository;
    let throttle: Throttle;
    beforeEach(() => {
      repository = new ThrottleRepository(database.db);
      throttle = new Throttle(repository, clock);
    });
    const charge = (key: string, r: ThrottleRule = rule) => [{ key, rule: r }];

    it('allows exactly maxFailures of 50 concurrent attempts and refuses the rest', async () => {
      const outcomes = await Promise.all(
        Array.from({ length: 50 }, () => throttle.reserve(charge('user:alice'))),
      );
      expect(outcomes.filter((o) => o.allowed)).toHaveLength(5);
      expect(outcomes.filter((o) => !o.allowed)).toHaveLength(45);
      const row = await database.db
        .selectFrom('throttle')
        .selectAll()
        .where('key', '=', 'user:alice')
        .executeTakeFirstOrThrow();
      expect(Number(row.failures)).toBe(50);
    });

    it('counts concurrent increments from several server processes without losing any', async () => {
      const handles = [database, await openAnotherHandle(), await openAnotherHandle()];
      const repositories = handles.map((h) => new ThrottleRepository(h.db));
      const counts = await Promise.all(
        Array.from({ length: 60 }, (_, i) => repositories[i % 3]!.increment('addr:192.0.2.1', T0, 60_000)),
      );
      expect(counts.map((c) => c.failures).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 60 }, (_, i) => i + 1),
      );
      for (const count of counts) expect(count.windowStart).toBe(T0);
    });

    it('keeps separate counters per key', async () => {
      for (let i = 0; i < 5; i++) expect(await throttle.reserve(charge('user:a'))).toEqual({ allowed: true });
      expect((await throttle.reserve(charge('user:a'))).allowed).toBe(false);
      expect(await throttle.reserve(charge('user:b'))).toEqual({ allowed: true });
    });

    it('restarts the count when the window has passed', async () => {
      for (let i = 0; i < 5; i++) await throttle.reserve(charge('user:bob'));
      clock.advance(59_999);
      expect((await throttle.reserve(charge('user:bob'))).allowed).toBe(false);

      clock.set(T0 + 60_000);
      expect(await throttle.reserve(charge('user:bob'))).toEqual({ allowed: true });
      for (let i = 0; i < 4; i++) expect((await throttle.reserve(charge('user:bob'))).allowed).toBe(true);
      expect((await throttle.reserve(charge('user:bob'))).allowed).toBe(false);
      expect(await repository.increment('user:bob', clock(), 60_000)).toEqual({
        failures: 7,
        windowStart: T0 + 60_000,
      });
    });

    it('tells a refused caller to retry when the window ends', async () => {
      for (let i = 0; i < 5; i++) await throttle.reserve(charge('user:carol'));
      clock.advance(10_000);
      expect(await throttle.reserve(charge('user:carol'))).toEqual({
        allowed: false,
        retryAfterSeconds: 50,
        firstRefusals: ['user:carol'],
      });
      clock.advance(49_500);
      expect(await throttle.reserve(charge('user:carol'))).toEqual({ allowed: false, retryAfterSeconds: 1 });
      clock.advance(500);
      expect(await throttle.reserve(charge('user:carol'))).toEqual({ allowed: true });
    });

    it('refuses when any of several counters is exhausted and reports the longest wait', async () => {
      const perUser: ThrottleRule = { maxFailures: 1, windowSeconds: 30 };
      const perAddress: ThrottleRule = { maxFailures: 3, windowSeconds: 300 };
      // The address counter comes first, so the longest wait is not simply the last one computed.
      const from = (user: string) => [
        { key: 'addr:198.51.100.7', rule: perAddress },
        { key: `user:${user}`, rule: perUser },
      ];
      expect(await throttle.reserve(from('dan'))).toEqual({ allowed: true });
      clock.advance(1_000);
      expect(await throttle.reserve(from('dan'))).toEqual({
        allowed: false,
        retryAfterSeconds: 29,
        firstRefusals: ['user:dan'],
      });
      clock.advance(1_000);
      expect(await throttle.reserve(from('erin'))).toEqual({ allowed: true });
      clock.advance(1_000);
      expect(await throttle.reserve(from('fay'))).toEqual({
        allowed: false,
        retryAfterSeconds: 297,
        firstRefusals: ['addr:198.51.100.7'],
      });
      clock.advance(1_000);
      expect(await throttle.reserve(from('dan'))).toEqual({ allowed: false, retryAfterSeconds: 296 });
    });

    it('gives back one attempt on refund, never going below zero', async () => {
      for (let i = 0; i < 5; i++) await throttle.reserve(charge('user:erin'));
      await throttle.refund('user:erin');
      expect(await throttle.reserve(charge('user:erin'))).toEqual({ allowed: true });
      expect((await throttle.reserve(charge('user:erin'))).allowed).toBe(false);

      await throttle.reserve(charge('user:frank'));
      for (let i = 0; i < 3; i++) await throttle.refund('user:frank');
      for (let i = 0; i < 5; i++) expect((await throttle.reserve(charge('user:frank'))).allowed).toBe(true);
      expect((await throttle.reserve(charge('user:frank'))).allowed).toBe(false);
    });

    it('records until when a counter refuses attempts, and forgets it when a refund brings it under the limit', async () => {
      for (let i = 0; i < 4; i++) await throttle.reserve(charge('user:ivan'));
      expect(await throttle.state('user:ivan', rule)).toMatchObject({ failures: 4, blockedUntil: 0 });
      await throttle.reserve(charge('user:ivan'));
      expect(await throttle.state('user:ivan', rule)).toMatchObject({
        failures: 5,
        blockedUntil: T0 + 60_000,
      });
      await throttle.refund('user:ivan', rule);
      expect(await throttle.state('user:ivan', rule)).toMatchObject({ failures: 4, blockedUntil: 0 });
      const sliding = { ...rule, sliding: true };
      for (let i = 0; i < 5; i++) await throttle.reserve(charge('user:judy', sliding));
      clock.advance(10_000);
      await throttle.reserve(charge('user:judy', sliding));
      expect(await throttle.state('user:judy', sliding)).toMatchObject({ blockedUntil: T0 + 70_000 });
      clock.advance(60_000);
      expect(await throttle.state('user:judy', sliding)).toBeUndefined();
    });

    it('ignores a refund of a counter that does not exist', async () => {
      await throttle.refund('user:nobody');
      const rows = await database.db.selectFrom('throttle').selectAll().execute();
      expect(rows).toEqual([]);
    });

    it('forgets every failure of one counter on clear and leaves the others alone', async () => {
      for (let i = 0; i < 6; i++) {
        await throttle.reserve(charge('user:grace'));
        await throttle.reserve(charge('user:heidi'));
      }
      await throttle.clear('user:grace');
      for (let i = 0; i < 5; i++) expect((await throttle.reserve(charge('user:grace'))).allowed).toBe(true);
      expect((await throttle.reserve(charge('user:heidi'))).allowed).toBe(false);
    });

    it('prunes only counters whose window and block both ended', async () => {
      await repository.increment('old', T0, 60_000);
      await repository.increment('recent', T0 + 120_000, 60_000);
      await database.db
        .insertInto('throttle')
        .values({ key: 'blocked', failures: 9, window_start: T0, blocked_until: T0 + 1_000_000 })
        .execute();
      await repository.prune(T0 + 60_000);
      const keys = await database.db.selectFrom('throttle').select('key').orderBy('key').execute();
      expect(keys.map((k) => k.key)).toEqual(['blocked', 'recent']);
    });
  });

  describe('oidc-provider adapter', () => {
    let adapterFor: (model: string) => Adapter;
    beforeEach(() => {
      const StoreAdapter = createOidcAdapter(database.db, clock);
      adapterFor = (model) => new StoreAdapter(model);
    });

    async function rowIds(): Promise<string[]> {
      const rows = await database.db.selectFrom('oidc_payloads').select(['model', 'id']).execute();
      return rows.map((r) => `${r.model}/${r.id}`).sort();
    }

    it('stores a payload and finds it by id, by uid and by user code', async () => {
      const sessions = adapterFor('Session');
      const devices = adapterFor('DeviceCode');
      const session: AdapterPayload = { jti: 's1', uid: 'uid-1', accountId: 'alice', kind: 'Session' };
      const device: AdapterPayload = { jti: 'd1', userCode: 'WDJB-MJHT', grantId: 'g1', kind: 'DeviceCode' };
      await sessions.upsert('s1', session, 3600);
      await devices.upsert('d1', device, 600);

      expect(await sessions.find('s1')).toEqual(session);
      expect(await sessions.findByUid('uid-1')).toEqual(session);
      expect(await devices.findByUserCode('WDJB-MJHT')).toEqual(device);
      expect(await sessions.find('d1')).toBeUndefined();
      expect(await devices.find('s1')).toBeUndefined();
      expect(await sessions.findByUid('uid-2')).toBeUndefined();
    });

    it('replaces the stored payload, uid and expiry on a second upsert of the same id', async () => {
      const sessions = adapterFor('Session');
      await sessions.upsert('s1', { uid: 'old-uid', accountId: 'alice' }, 10);
      clock.advance(5_000);
      await sessions.upsert('s1', { uid: 'new-uid', accountId: 'alice', amr: ['pwd'] }, 10);

      expect(await sessions.findByUid('old-uid')).toBeUndefined();
      expect(await sessions.findByUid('new-uid')).toEqual({
        uid: 'new-uid',
        accountId: 'alice',
        amr: ['pwd'],
      });
      clock.advance(9_999);
      expect(await sessions.find('s1')).toBeDefined();
      expect(await rowIds()).toEqual(['Session/s1']);
    });

    it('hides a row the moment it expires, by every lookup', async () => {
      const codes = adapterFor('DeviceCode');
      await codes.upsert('d1', { uid: 'u1', userCode: 'ABCD-EFGH' }, 60);
      clock.advance(59_999);
      expect(await codes.find('d1')).toBeDefined();
      expect(await codes.findByUid('u1')).toBeDefined();
      expect(await codes.findByUserCode('ABCD-EFGH')).toBeDefined();

      clock.advance(1);
      expect(await codes.find('d1')).toBeUndefined();
      expect(await codes.findByUid('u1')).toBeUndefined();
      expect(await codes.findByUserCode('ABCD-EFGH')).toBeUndefined();
    });

    it('keeps a row without an expiry visible indefinitely', async () => {
      const clients = adapterFor('Client');
      await clients.upsert('c1', { client_id: 'c1' }, 0);
      clock.advance(10 * 365 * 24 * 3600 * 1000);
      expect(await clients.find('c1')).toEqual({ client_id: 'c1' });
    });

    it('marks a consumed payload with the epoch second it was consumed', async () => {
      const codes = adapterFor('AuthorizationCode');
      await codes.upsert('code1', { grantId: 'g1', accountId: 'alice' }, 60);
      expect(await codes.find('code1')).not.toHaveProperty('consumed');
      clock.advance(1_750);
      await codes.consume('code1');
      expect(await codes.find('code1')).toEqual({
        grantId: 'g1',
        accountId: 'alice',
        consumed: Math.floor((T0 + 1_750) / 1000),
      });
    });

    it('accepts a code exactly once under concurrent submissions and revokes the grant for the replays', async () => {
      const codes = adapterFor('AuthorizationCode');
      await adapterFor('Grant').upsert('g1', { accountId: 'alice', clientId: 'app' }, 3600);
      await adapterFor('Grant').upsert('g2', { accountId: 'bob', clientId: 'app' }, 3600);
      await codes.upsert('code1', { grantId: 'g1' }, 60);
      await adapterFor('AccessToken').upsert('at1', { grantId: 'g1' }, 3600);
      await adapterFor('RefreshToken').upsert('rt1', { grantId: 'g1' }, 3600);
      await adapterFor('AccessToken').upsert('at2', { grantId: 'g2' }, 3600);
      await codes.upsert('code2', { grantId: 'g2' }, 60);

      const { fulfilled, rejected } = await settle(Array.from({ length: 20 }, () => codes.consume('code1')));
      expect(fulfilled).toHaveLength(1);
      expect(rejected).toHaveLength(19);
      for (const error of rejected) expect(error).toBeInstanceOf(errors.InvalidGrant);

      expect(await rowIds()).toEqual(['AccessToken/at2', 'AuthorizationCode/code2', 'Grant/g2']);
      expect(await adapterFor('Grant').find('g1')).toBeUndefined();
      expect(await adapterFor('Grant').find('g2')).toBeDefined();
    });

    it('accepts a code exactly once even when the submissions arrive on different server processes', async () => {
      const handles = [
        database,
        await openAnotherHandle(),
        await openAnotherHandle(),
        await openAnotherHandle(),
      ];
      const adapters = handles.map((h) => new (createOidcAdapter(h.db, clock))('AuthorizationCode'));
      await adapterFor('Grant').upsert('g1', { accountId: 'alice' }, 3600);
      await adapters[0]!.upsert('code1', { grantId: 'g1' }, 60);

      const { fulfilled, rejected } = await settle(
        Array.from({ length: 20 }, (_, i) => adapters[i % adapters.length]!.consume('code1')),
      );
      expect(fulfilled).toHaveLength(1);
      expect(rejected).toHaveLength(19);
      for (const error of rejected) expect(error).toBeInstanceOf(errors.InvalidGrant);
      expect(await rowIds()).toEqual([]);
    });

    it('treats a later reuse of a consumed refresh token as a replay that revokes its grant', async () => {
      const refresh = adapterFor('RefreshToken');
      await adapterFor('Grant').upsert('g1', { accountId: 'alice' }, 3600);
      await refresh.upsert('rt1', { grantId: 'g1' }, 3600);
      await adapterFor('AccessToken').upsert('at1', { grantId: 'g1' }, 3600);
      await refresh.consume('rt1');
      expect((await refresh.find('rt1'))?.consumed).toBe(Math.floor(T0 / 1000));

      clock.advance(30_000);
      await expect(refresh.consume('rt1')).rejects.toBeInstanceOf(errors.InvalidGrant);
      expect(await rowIds()).toEqual([]);
    });

    it('fails consuming an unknown id without touching anything else', async () => {
      await adapterFor('AccessToken').upsert('at1', { grantId: 'g1' }, 3600);
      await expect(adapterFor('AuthorizationCode').consume('nope')).rejects.toBeInstanceOf(
        errors.InvalidGrant,
      );
      expect(await rowIds()).toEqual(['AccessToken/at1']);
    });

    it('destroys one row of one model only', async () => {
      await adapterFor('Session').upsert('same-id', { uid: 'u1' }, 3600);
      await adapterFor('Interaction').upsert('same-id', { uid: 'u2' }, 3600);
      await adapterFor('Session').upsert('other', { uid: 'u3' }, 3600);
      await adapterFor('Session').destroy('same-id');
      expect(await adapterFor('Session').find('same-id')).toBeUndefined();
      expect(await rowIds()).toEqual(['Interaction/same-id', 'Session/other']);
    });

    it('revokes by grant id only the rows of its own model and grant', async () => {
      await adapterFor('AccessToken').upsert('at1', { grantId: 'g1' }, 3600);
      await adapterFor('AccessToken').upsert('at2', { grantId: 'g1' }, 3600);
      await adapterFor('AccessToken').upsert('at3', { grantId: 'g2' }, 3600);
      await adapterFor('RefreshToken').upsert('rt1', { grantId: 'g1' }, 3600);
      await adapterFor('Grant').upsert('g1', { accountId: 'alice' }, 3600);

      await adapterFor('AccessToken').revokeByGrantId('g1');
      expect(await rowIds()).toEqual(['AccessToken/at3', 'Grant/g1', 'RefreshToken/rt1']);
    });

    it('prunes expired rows only and reports how many went', async () => {
      await adapterFor('AccessToken').upsert('expired', { grantId: 'g1' }, 60);
      await adapterFor('AccessToken').upsert('at-boundary', { grantId: 'g1' }, 120);
      await adapterFor('AccessToken').upsert('live', { grantId: 'g1' }, 121);
      await adapterFor('Client').upsert('forever', { client_id: 'forever' }, 0);

      expect(await pruneOidcPayloads(database.db, T0 + 119_999)).toBe(1);
      expect(await rowIds()).toEqual(['AccessToken/at-boundary', 'AccessToken/live', 'Client/forever']);
      expect(await pruneOidcPayloads(database.db, T0 + 120_000)).toBe(1);
      expect(await rowIds()).toEqual(['AccessToken/live', 'Client/forever']);
      expect(await pruneOidcPayloads(database.db, T0 + 120_000)).toBe(0);
    });
  });

  describe('SigningKeys', () => {
    const ALGS: readonly SigningAlgorithm[] = ['ES256', 'RS256'];
    const masterKey = randomBytes(32);
    let keys: SigningKeys;
    beforeEach(() => {
      keys = new SigningKeys(database.db, createSecretBox(masterKey), clock);
    });

    const current = async (purpose = 'oidc') =>
      (await keys.list(purpose)).filter((k) => k.retiredAt === null).map((k) => k.alg);

    it('creates one ES256 and one RS256 key on first start and nothing on later starts', async () => {
      const created = await keys.ensureCurrent('oidc', ALGS);
      expect(created).toHaveLength(2);
      const listed = await keys.list('oidc');
      expect(listed.map((k) => k.alg).sort()).toEqual(['ES256', 'RS256']);
      expect(listed.map((k) => k.kid).sort()).toEqual([...created].sort());
      for (const key of listed) {
        expect(key).toMatchObject({ createdAt: T0, retiredAt: null, publishUntil: null });
      }

      expect(await keys.ensureCurrent('oidc', ALGS)).toEqual([]);
      expect(await keys.list('oidc')).toEqual(listed);
    });

    it('keeps purposes apart', async () => {
      await keys.ensureCurrent('oidc', ALGS);
      expect(await keys.list('saml')).toEqual([]);
      expect(await keys.ensureCurrent('saml', ['RS256'])).toHaveLength(1);
      expect(await current('saml')).toEqual(['RS256']);
      expect((await current('oidc')).sort()).toEqual(['ES256', 'RS256']);

      const samlKid = (await keys.list('saml'))[0]!.kid;
      await keys.rotate('oidc', ALGS, 1_000);
      expect(await keys.list('saml')).toEqual([
        { kid: samlKid, alg: 'RS256', createdAt: T0, retiredAt: null, publishUntil: null },
      ]);
    });

    it('ends with exactly one current key per algorithm when several processes start at once', async () => {
      const handles = [
        database,
        await openAnotherHandle(),
        await openAnotherHandle(),
        await openAnotherHandle(),
      ];
      const callers = handles.map((h) => new SigningKeys(h.db, createSecretBox(masterKey), clock));
      const created = await Promise.all(
        [...callers, ...callers].map((caller) => caller.ensureCurrent('oidc', ALGS)),
      );
      expect(created.flat()).toHaveLength(2);
      expect((await current()).sort()).toEqual(['ES256', 'RS256']);
      expect((await keys.privateJwks('oidc')).map((k) => k.kid).sort()).toEqual(created.flat().sort());
    });

    it('refuses a second current key for the same algorithm at the database level', async () => {
      await keys.ensureCurrent('oidc', ['ES256']);
      const [existing] = await database.db.selectFrom('signing_keys').selectAll().execute();
      const error = await rejectionOf(
        database.db
          .insertInto('signing_keys')
          .values({ ...existing!, kid: 'another-kid' })
          .execute(),
      );
      expect(isUniqueViolation(error)).toBe(true);
      await database.db
        .insertInto('signing_keys')
        .values({ ...existing!, kid: 'retired-kid', retired_at: T0, publish_until: T0 + 1 })
        .execute();
      expect(await keys.list('oidc')).toHaveLength(2);
    });

    it('retires the current keys on rotation, keeps them published for verification and signs with new ones', async () => {
      const first = await keys.ensureCurrent('oidc', ALGS);
      clock.advance(60_000);
      const rotatedAt = clock();
      const { created, retired } = await keys.rotate('oidc', ALGS, 3_600_000);
      expect(retired.sort()).toEqual([...first].sort());
      expect(created).toHaveLength(2);
      expect(created.some((kid) => first.includes(kid))).toBe(false);

      const listed = await keys.list('oidc');
      for (const kid of first) {
        expect(listed.find((k) => k.kid === kid)).toMatchObject({
          retiredAt: rotatedAt,
          publishUntil: rotatedAt + 3_600_000,
        });
      }
      for (const kid of created) {
        expect(listed.find((k) => k.kid === kid)).toMatchObject({ retiredAt: null, publishUntil: null });
      }

      const jwks = await keys.privateJwks('oidc');
      expect(jwks.map((k) => k.kid)).toHaveLength(4);
      expect(
        jwks
          .slice(0, 2)
          .map((k) => k.kid)
          .sort(),
      ).toEqual([...created].sort());
      expect(
        jwks
          .slice(2)
          .map((k) => k.kid)
          .sort(),
      ).toEqual([...first].sort());
      for (const jwk of jwks.slice(0, 2)) expect(jwk.key_ops).toBeUndefined();
      for (const jwk of jwks.slice(2)) expect(jwk.key_ops).toEqual(['verify']);
      expect((await current()).sort()).toEqual(['ES256', 'RS256']);
    });

    it('hands out private keys that match their published public halves', async () => {
      await keys.ensureCurrent('oidc', ALGS);
      const rows = await database.db.selectFrom('signing_keys').selectAll().execute();
      const jwks = await keys.privateJwks('oidc');
      expect(jwks).toHaveLength(2);
      for (const jwk of jwks) {
        const row = rows.find((r) => r.kid === jwk.kid)!;
        expect(jwk).toMatchObject({ alg: row.alg, use: 'sig' });
        expect(typeof jwk.d).toBe('string');
        const derived = createPublicKey(createPrivateKey({ key: jwk, format: 'jwk' })).export({
          format: 'jwk',
        });
        const published = JSON.parse(row.public_jwk) as Record<string, unknown>;
        expect(published).not.toHaveProperty('d');
        expect(published).toMatchObject({ ...derived, kid: jwk.kid, alg: jwk.alg });
      }
    });

    it('stops publishing retired keys when their period ends and prunes exactly those', async () => {
      const first = await keys.ensureCurrent('oidc', ALGS);
      const { created } = await keys.rotate('oidc', ALGS, 1_000);

      clock.advance(999);
      expect(await keys.prune()).toBe(0);
      expect(await keys.privateJwks('oidc')).toHaveLength(4);

      clock.advance(1);
      const published = await keys.privateJwks('oidc');
      expect(published.map((k) => k.kid).sort()).toEqual([...created].sort());
      expect((await keys.list('oidc')).map((k) => k.kid).sort()).toEqual([...first, ...created].sort());

      expect(await keys.prune()).toBe(2);
      expect((await keys.list('oidc')).map((k) => k.kid).sort()).toEqual([...created].sort());
      expect(await keys.prune()).toBe(0);
    });

    it('stores private keys sealed under the master key, never in the clear', async () => {
      await keys.ensureCurrent('oidc', ALGS);
      const jwks = new Map<string, PrivateJwk>((await keys.privateJwks('oidc')).map((k) => [k.kid, k]));
      const rows = await database.db.selectFrom('signing_keys').selectAll().execute();
      expect(rows).toHaveLength(2);
      for (const row of rows) {
        const d = jwks.get(row.kid)!.d!;
        expect(d.length).toBeGreaterThan(20);
        expect(row.private_key).not.toContain(d);
        expect(row.private_key).not.toContain('"d"');
        expect(row.private_key.startsWith(`v1.${createSecretBox(masterKey).keyId}.`)).toBe(true);
        expect(row.public_jwk).not.toContain(d);
      }

      const stranger = new SigningKeys(database.db, createSecretBox(randomBytes(32)), clock);
      const error = await rejectionOf(stranger.privateJwks('oidc'));
      expect(SecretBoxErrors.is(error, 'SECRET_UNDECRYPTABLE')).toBe(true);
    });

    it('changes its version whenever the published key set changes, and only then', async () => {
      const empty = await keys.version('oidc');
      await keys.ensureCurrent('oidc', ALGS);
      const initial = await keys.version('oidc');
      expect(initial).not.toBe(empty);
      await keys.ensureCurrent('oidc', ALGS);
      clock.advance(10);
      expect(await keys.version('oidc')).toBe(initial);

      await keys.rotate('oidc', ALGS, 5_000);
      const rotated = await keys.version('oidc');
      expect(rotated).not.toBe(initial);
      clock.advance(4_999);
      expect(await keys.version('oidc')).toBe(rotated);

      clock.advance(1);
      const expired = await keys.version('oidc');
      expect(expired).not.toBe(rotated);
      expect(expired).not.toBe(initial);
      await keys.prune();
      expect(await keys.version('oidc')).toBe(expired);
    });
  });

  describe('AuditRepository', () => {
    let audit: AuditRepository;
    beforeEach(() => {
      audit = new AuditRepository(database.db, clock);
    });

    it('returns the most recent events first, optionally of one type and up to a limit', async () => {
      const recorded = [
        { type: 'login', outcome: 'success', username: 'alice' },
        { type: 'user.disable', outcome: 'info', username: 'bob' },
        { type: 'login', outcome: 'failure', username: 'bob', reason: 'bad_password' },
        { type: 'login', outcome: 'denied', username: 'carol', reason: 'disabled' },
      ] as const;
      for (const event of recorded) {
        clock.advance(1_000);
        await audit.record(event);
      }

      const all = await audit.recent();
      expect(all.map((e) => [e.type, e.username])).toEqual([
        ['login', 'carol'],
        ['login', 'bob'],
        ['user.disable', 'bob'],
        ['login', 'alice'],
      ]);
      expect(all.map((e) => e.at)).toEqual([T0 + 4_000, T0 + 3_000, T0 + 2_000, T0 + 1_000]);
      expect(new Set(all.map((e) => e.id)).size).toBe(4);

      const logins = await audit.recent({ type: 'login' });
      expect(logins.map((e) => e.username)).toEqual(['carol', 'bob', 'alice']);
      expect(logins.map((e) => e.outcome)).toEqual(['denied', 'failure', 'success']);

      expect((await audit.recent({ type: 'login', limit: 2 })).map((e) => e.username)).toEqual([
        'carol',
        'bob',
      ]);
      expect(await audit.recent({ type: 'never.happened' })).toEqual([]);
    });

    it('round-trips every field and structured details, with absent ones as null and {}', async () => {
      const details = {
        application: 'Microsoft 365',
        factors: ['pwd', 'otp'],
        attempt: 3,
        trusted: false,
        nested: { country: 'NZ', note: 'Ünïcode "quoted" — text' },
      };
      await audit.record({
        type: 'login',
        outcome: 'success',
        reason: 'policy:office',
        username: 'alice',
        userId: 'u-1',
        address: '2001:db8::1',
        details,
      });
      clock.advance(1);
      await audit.record({ type: 'startup', outcome: 'info' });

      const [startup, login] = await audit.recent();
      expect(login).toEqual({
        id: expect.any(String),
        at: T0,
        type: 'login',
        outcome: 'success',
        reason: 'policy:office',
        username: 'alice',
        userId: 'u-1',
        address: '2001:db8::1',
        details,
      });
      expect(typeof login!.at).toBe('number');
      expect(startup).toEqual({
        id: expect.any(String),
        at: T0 + 1,
        type: 'startup',
        outcome: 'info',
        reason: null,
        username: null,
        userId: null,
        address: null,
        details: {},
      });
    });
  });
});
