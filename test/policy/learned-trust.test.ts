import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { learningSchema } from '../../src/config/policies-schema.js';
import { LearnedTrust } from '../../src/policy/authentication/context/learned-trust.js';
import { type Database, openDatabase } from '../../src/store/database.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { AuditRepository } from '../../src/store/repositories/audit.js';
import { TrustedNetworksRepository } from '../../src/store/repositories/trusted-networks.js';
import { UsersRepository } from '../../src/store/repositories/users.js';
import { type FakeClock, fakeClock } from '../support/core.js';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../support/databases.js';

const DAY = 24 * 60 * 60 * 1000;
const OFFICE = '203.0.113.7';

describe.each(BACKENDS)('learned trusted networks (%s)', (backend) => {
  let testDatabase: TestDatabase;
  let database: Database;
  let clock: FakeClock;
  let audit: AuditRepository;
  let alice: string;
  let bob: string;

  /** LearnedTrust with N=3, D=30, T=30 (the defaults) unless overridden. */
  const trustWith = (settings: Record<string, unknown> = {}) =>
    new LearnedTrust(
      new TrustedNetworksRepository(database.db),
      learningSchema.parse({ enabled: true, ...settings }),
      clock,
      audit,
    );

  async function succeed(trust: LearnedTrust, times: number, address = OFFICE, userId = alice) {
    const outcomes = [];
    for (let i = 0; i < times; i++) outcomes.push(await trust.recordMfaSuccess(userId, address));
    return outcomes;
  }

  beforeEach(async () => {
    testDatabase = await createTestDatabase(backend);
    database = await openDatabase(testDatabase.url);
    await migrateToLatest(database);
    clock = fakeClock();
    audit = new AuditRepository(database.db, clock);
    const users = new UsersRepository(database.db, clock);
    alice = (await users.create({ username: 'alice' })).id;
    bob = (await users.create({ username: 'bob' })).id;
  });

  afterEach(async () => {
    await database?.close();
    await testDatabase?.drop();
  });

  it('trusts a network from exactly the Nth MFA success within D days, and audits it', async () => {
    const trust = trustWith();
    expect(await succeed(trust, 2)).toEqual([
      { network: '203.0.113.0/24', trusted: false, newlyTrusted: false },
      { network: '203.0.113.0/24', trusted: false, newlyTrusted: false },
    ]);
    expect(await trust.isTrusted(alice, OFFICE)).toBe(false);
    clock.advance(30 * DAY - 1);
    expect(await trust.recordMfaSuccess(alice, '203.0.113.99')).toEqual({
      network: '203.0.113.0/24',
      trusted: true,
      newlyTrusted: true,
    });
    expect(await trust.isTrusted(alice, '203.0.113.200')).toBe(true);
    const [event] = await audit.recent({ type: 'trust.learned' });
    expect(event).toMatchObject({
      userId: alice,
      address: '203.0.113.99',
      details: { network: '203.0.113.0/24', trustedUntil: clock() + 30 * DAY, successes: 3 },
    });
  });

  it('does not trust successes spread over more than D days', async () => {
    const trust = trustWith();
    await succeed(trust, 1);
    clock.advance(15 * DAY);
    await succeed(trust, 1);
    clock.advance(15 * DAY); // the first success is now exactly D days old: outside the window
    expect((await succeed(trust, 1))[0]!.trusted).toBe(false);
    expect(await trust.list(alice)).toMatchObject([{ state: 'learning', successes: 2 }]);
    clock.advance(DAY);
    expect((await succeed(trust, 1))[0]).toMatchObject({ trusted: true, newlyTrusted: true });
  });

  it('keeps trust for T days after the last success, then lets it expire', async () => {
    const trust = trustWith({ trustDays: 7 });
    await succeed(trust, 3);
    const trustedAt = clock();
    clock.set(trustedAt + 7 * DAY - 1);
    expect(await trust.isTrusted(alice, OFFICE)).toBe(true);
    clock.set(trustedAt + 7 * DAY);
    expect(await trust.isTrusted(alice, OFFICE)).toBe(false);
    expect(await trust.list(alice)).toMatchObject([{ state: 'expired', trustedUntil: trustedAt + 7 * DAY }]);
  });

  it('forgets networks that can no longer become trusted, and keeps trusted and recent ones', async () => {
    const trust = trustWith({ trustDays: 60 });
    await succeed(trust, 3, OFFICE); // trusted for 60 days
    await succeed(trust, 1, '198.51.100.7'); // one success, stale after 30 days
    clock.advance(31 * DAY);
    await succeed(trust, 1, '192.0.2.1'); // recent
    expect(await trust.prune()).toBe(1);
    expect((await trust.list(alice)).map((e) => e.network).sort()).toEqual([
      '192.0.2.0/24',
      '203.0.113.0/24',
    ]);
    clock.advance(30 * DAY + 1); // the trust has expired, and every last success is stale
    expect(await trust.prune()).toBe(2);
    expect(await trust.list(alice)).toEqual([]);
  });

  it('extends the trust with a later success', async () => {
    const trust = trustWith({ trustDays: 7 });
    await succeed(trust, 3);
    clock.advance(5 * DAY);
    expect(await trust.recordMfaSuccess(alice, OFFICE)).toMatchObject({ trusted: true, newlyTrusted: false });
    const [entry] = await trust.list(alice);
    expect(entry).toMatchObject({
      state: 'trusted',
      trustedUntil: clock() + 7 * DAY,
      lastSuccessAt: clock(),
    });
    clock.advance(6 * DAY);
    expect(await trust.isTrusted(alice, OFFICE)).toBe(true);
    expect(await audit.recent({ type: 'trust.learned' })).toHaveLength(1);
  });

  it('learns again after expiry only from N successes within D days', async () => {
    const trust = trustWith({ trustDays: 1 });
    await succeed(trust, 3);
    clock.advance(40 * DAY);
    expect((await succeed(trust, 2)).map((o) => o.trusted)).toEqual([false, false]);
    expect(await trust.recordMfaSuccess(alice, OFFICE)).toMatchObject({ trusted: true, newlyTrusted: true });
  });

  it('revokes one network, forgets its successes and counts afresh', async () => {
    const trust = trustWith();
    await succeed(trust, 3);
    await succeed(trust, 3, '198.51.100.1');
    expect(await trust.revoke(alice, '203.0.113.0/24')).toBe(1);
    expect(await trust.isTrusted(alice, OFFICE)).toBe(false);
    expect(await trust.isTrusted(alice, '198.51.100.1')).toBe(true);
    expect(await trust.list(alice)).toMatchObject([
      { network: '198.51.100.0/24', state: 'trusted' },
      { network: '203.0.113.0/24', state: 'revoked', successes: 0, trustedUntil: null },
    ]);
    expect((await succeed(trust, 2)).map((o) => o.trusted)).toEqual([false, false]);
    expect(await trust.list(alice)).toMatchObject([{}, { state: 'learning', successes: 2 }]);
    expect(await trust.recordMfaSuccess(alice, OFFICE)).toMatchObject({ newlyTrusted: true });
    const [event] = await audit.recent({ type: 'trust.revoked' });
    expect(event).toMatchObject({
      userId: alice,
      details: { network: '203.0.113.0/24', all: false, count: 1 },
    });
  });

  it('revokes all networks of one user, named by any address in them or not at all', async () => {
    const trust = trustWith();
    await succeed(trust, 3);
    await succeed(trust, 1, '2001:db8:1:2::1');
    await succeed(trust, 3, OFFICE, bob);
    expect(await trust.revoke(alice, '203.0.113.42')).toBe(1);
    expect(await trust.revoke(alice, '203.0.113.42')).toBe(0);
    clock.advance(1);
    expect(await trust.revoke(alice)).toBe(1);
    expect((await trust.list(alice)).map((e) => e.state)).toEqual(['revoked', 'revoked']);
    expect(await trust.isTrusted(bob, OFFICE)).toBe(true);
    expect((await audit.recent({ type: 'trust.revoked' }))[0]).toMatchObject({
      details: { network: null, all: true, count: 1 },
    });
  });

  it('keeps trust per user', async () => {
    const trust = trustWith();
    await succeed(trust, 3);
    expect(await trust.isTrusted(bob, OFFICE)).toBe(false);
    expect((await trust.recordMfaSuccess(bob, OFFICE)).trusted).toBe(false);
  });

  it('counts every address of a /24 or a /64 as one network', async () => {
    const trust = trustWith();
    await trust.recordMfaSuccess(alice, '203.0.113.1');
    await trust.recordMfaSuccess(alice, '203.0.113.128');
    await trust.recordMfaSuccess(alice, '203.0.114.1');
    expect(await trust.recordMfaSuccess(alice, '203.0.113.254')).toMatchObject({ newlyTrusted: true });
    for (const address of ['2001:db8:1:2::1', '2001:db8:1:2:ffff::9', '2001:db8:1:3::1']) {
      await trust.recordMfaSuccess(alice, address);
    }
    expect(await trust.isTrusted(alice, '2001:db8:1:2::42')).toBe(false);
    await trust.recordMfaSuccess(alice, '2001:db8:1:2:1:2:3:4');
    expect(await trust.isTrusted(alice, '2001:db8:1:2::42')).toBe(true);
    expect(await trust.isTrusted(alice, '2001:db8:1:3::42')).toBe(false);
    expect((await trust.list(alice)).map((e) => [e.network, e.state])).toEqual([
      ['2001:db8:1:2::/64', 'trusted'],
      ['2001:db8:1:3::/64', 'learning'],
      ['203.0.113.0/24', 'trusted'],
      ['203.0.114.0/24', 'learning'],
    ]);
  });

  it('counts IPv4-mapped IPv6 addresses with their IPv4 network', async () => {
    const trust = trustWith();
    await trust.recordMfaSuccess(alice, '::ffff:203.0.113.7');
    await trust.recordMfaSuccess(alice, '203.0.113.8');
    expect(await trust.recordMfaSuccess(alice, '::ffff:203.0.113.9')).toEqual({
      network: '203.0.113.0/24',
      trusted: true,
      newlyTrusted: true,
    });
    expect(await trust.isTrusted(alice, '::ffff:203.0.113.10')).toBe(true);
  });

  it('learns nothing and trusts nothing when learning is disabled', async () => {
    await succeed(trustWith(), 3);
    const disabled = trustWith({ enabled: false });
    expect(await disabled.isTrusted(alice, OFFICE)).toBe(false);
    expect(await succeed(disabled, 3, '198.51.100.1')).toEqual(
      Array(3).fill({ network: '198.51.100.0/24', trusted: false, newlyTrusted: false }),
    );
    expect((await disabled.list(alice)).map((e) => e.network)).toEqual(['203.0.113.0/24']);
  });

  it('ignores what is not an IP address instead of failing the login', async () => {
    const trust = trustWith();
    expect(await trust.recordMfaSuccess(alice, 'unknown')).toEqual({
      network: '',
      trusted: false,
      newlyTrusted: false,
    });
    expect(await trust.isTrusted(alice, 'unknown')).toBe(false);
    expect(await trust.list()).toEqual([]);
    await expect(trust.revoke(alice, 'not-a-network')).rejects.toMatchObject({
      code: 'TRUST_ADDRESS_INVALID',
    });
  });

  it('counts concurrent MFA successes exactly, and only one of them newly trusts', async () => {
    const trust = trustWith({ successes: 10 });
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, (_, i) => trust.recordMfaSuccess(alice, `203.0.113.${i + 1}`)),
    );
    expect(outcomes.filter((o) => o.newlyTrusted)).toHaveLength(1);
    expect(await trust.list(alice)).toMatchObject([{ state: 'trusted', successes: 10 }]);
    expect(await audit.recent({ type: 'trust.learned' })).toHaveLength(1);
  });
});
