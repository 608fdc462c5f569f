import { beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/store/database.js';
import { LoginHistoryRepository } from '../../../src/store/repositories/login-history.js';
import { TrustedNetworksRepository } from '../../../src/store/repositories/trusted-networks.js';
import { UsersRepository } from '../../../src/store/repositories/users.js';
import { describeContract, T0 } from './contract-store.js';

const NET = '203.0.113.0/24';

describeContract('login context', (store) => {
  let users: UsersRepository;
  let alice: string;
  let bob: string;

  beforeEach(async () => {
    users = new UsersRepository(store.database.db, () => T0);
    alice = (await users.create({ username: 'alice' })).id;
    bob = (await users.create({ username: 'bob' })).id;
  });

  describe('TrustedNetworksRepository', () => {
    const addSuccess = (repo: TrustedNetworksRepository, userId: string, at: number) =>
      repo.change(userId, NET, at, (current) => ({
        ...current,
        successes: [...current.successes, at],
        lastSuccessAt: at,
      }));

    it('creates an empty entry on the first change and keeps epoch-ms times exact', async () => {
      const repo = new TrustedNetworksRepository(store.database.db);
      const seen: unknown[] = [];
      await repo.change(alice, NET, T0, (current) => {
        seen.push(current);
        return { ...current, trustedUntil: T0 + 1 };
      });
      expect(seen).toEqual([
        expect.objectContaining({ successes: [], firstSuccessAt: T0, trustedUntil: null, revokedAt: null }),
      ]);
      expect(await repo.find(alice, NET)).toEqual({
        userId: alice,
        network: NET,
        successes: [],
        firstSuccessAt: T0,
        lastSuccessAt: T0,
        trustedUntil: T0 + 1,
        revokedAt: null,
      });
    });

    it('loses no change when many run at once, on PostgreSQL also from several connections', async () => {
      const repo = new TrustedNetworksRepository(store.database.db);
      // Two better-sqlite3 handles in one process would block each other's event loop: SQLite's
      // other writers are other processes, which its busy timeout serialises.
      const other = store.backend === 'postgres' ? await openDatabase(store.url) : store.database;
      try {
        const otherRepo = new TrustedNetworksRepository(other.db);
        await Promise.all(
          Array.from({ length: 20 }, (_, i) => addSuccess(i % 2 ? repo : otherRepo, alice, T0 + i)),
        );
      } finally {
        if (other !== store.database) await other.close();
      }
      const entry = await repo.find(alice, NET);
      expect(entry?.successes.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => T0 + i));
    });

    it('rolls a change back when it throws', async () => {
      const repo = new TrustedNetworksRepository(store.database.db);
      await expect(
        repo.change(alice, NET, T0, () => {
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(await repo.find(alice, NET)).toBeUndefined();
    });

    it('lists with user names, by user and network, and revokes one or all', async () => {
      const repo = new TrustedNetworksRepository(store.database.db);
      await addSuccess(repo, bob, T0);
      await repo.change(alice, '2001:db8::/64', T0, (c) => c);
      await addSuccess(repo, alice, T0);
      expect((await repo.list()).map((e) => [e.username, e.network])).toEqual([
        ['alice', '2001:db8::/64'],
        ['alice', NET],
        ['bob', NET],
      ]);
      expect((await repo.list(bob)).map((e) => e.username)).toEqual(['bob']);
      expect(await repo.revoke(alice, T0 + 5, NET)).toBe(1);
      expect(await repo.revoke(alice, T0 + 6, NET)).toBe(0);
      expect(await repo.find(alice, NET)).toMatchObject({
        successes: [],
        trustedUntil: null,
        revokedAt: T0 + 5,
      });
      expect(await repo.revoke(alice, T0 + 7)).toBe(1);
      expect((await repo.find(bob, NET))?.revokedAt).toBeNull();
    });

    it('forgets a deleted user’s networks', async () => {
      const repo = new TrustedNetworksRepository(store.database.db);
      await addSuccess(repo, alice, T0);
      await store.database.db.deleteFrom('users').where('id', '=', alice).execute();
      expect(await repo.list()).toEqual([]);
    });
  });

  describe('LoginHistoryRepository', () => {
    it('tells which values a user was seen with', async () => {
      const repo = new LoginHistoryRepository(store.database.db);
      await repo.touch(alice, 'country', 'DE', T0);
      await repo.touch(bob, 'country', 'FR', T0);
      expect([...(await repo.seen(alice, 'country', ['DE', 'FR']))]).toEqual(['DE']);
      expect([...(await repo.seen(alice, 'device', ['DE']))]).toEqual([]);
      expect([...(await repo.seen(alice, 'country', []))]).toEqual([]);
    });

    it('says whether a sighting is new, so that only a new one has to trim', async () => {
      const repo = new LoginHistoryRepository(store.database.db);
      expect(await repo.touch(alice, 'device', 'd1', T0)).toBe(true);
      expect(await repo.touch(alice, 'device', 'd1', T0 + 5)).toBe(false);
      expect(await repo.touch(alice, 'device', 'd2', T0 + 6)).toBe(true);
      expect(await repo.touch(bob, 'device', 'd1', T0 + 7)).toBe(true);
    });

    it('keeps the first sighting and never moves the last one backwards, also under concurrency', async () => {
      const repo = new LoginHistoryRepository(store.database.db);
      await Promise.all(Array.from({ length: 10 }, (_, i) => repo.touch(alice, 'device', 'd1', T0 + i)));
      await repo.touch(alice, 'device', 'd1', T0 + 3);
      expect(await repo.list(alice)).toEqual([
        { kind: 'device', value: 'd1', firstSeenAt: expect.any(Number), lastSeenAt: T0 + 9 },
      ]);
      expect((await repo.list(alice))[0]!.firstSeenAt).toBeLessThan(T0 + 10);
    });

    it('trims a user’s entries of one kind to the most recently seen', async () => {
      const repo = new LoginHistoryRepository(store.database.db);
      for (let i = 0; i < 5; i++) await repo.touch(alice, 'device', `d${i}`, T0 + i);
      await repo.touch(alice, 'country', 'DE', T0);
      await repo.touch(bob, 'device', 'd0', T0);
      await repo.trim(alice, 'device', 3);
      expect((await repo.list(alice)).map((e) => e.value)).toEqual(['d4', 'd3', 'd2', 'DE']);
      expect((await repo.list(bob)).map((e) => e.value)).toEqual(['d0']);
    });
  });
});
