import type { Kysely } from 'kysely';
import { type Adapter, type AdapterPayload, errors } from 'oidc-provider';
import { beforeEach, describe, expect, it } from 'vitest';
import { createOidcAdapter, pruneOidcPayloads } from '../../../src/doors/oidc/adapter.js';
import { CommitGroup } from '../../../src/store/commit-group.js';
import { StagedWrites } from '../../../src/store/staged-writes.js';
import type { Tables } from '../../../src/store/tables.js';
import { describeContract, settle, T0 } from './contract-store.js';

/**
 * The adapter as a request sees it when its saves and destroys are staged: each call is followed
 * by the wait for the staged writes that the server makes before it answers.
 */
function settlingEachWrite(adapter: Adapter, staged: StagedWrites): Adapter {
  const settling =
    <A extends unknown[]>(write: (...args: A) => Promise<void>) =>
    async (...args: A) => {
      const mark = staged.mark();
      await write(...args);
      await staged.settled(mark);
    };
  return {
    upsert: settling(adapter.upsert.bind(adapter)),
    destroy: settling(adapter.destroy.bind(adapter)),
    find: adapter.find.bind(adapter),
    findByUid: adapter.findByUid.bind(adapter),
    findByUserCode: adapter.findByUserCode.bind(adapter),
    consume: adapter.consume.bind(adapter),
    revokeByGrantId: adapter.revokeByGrantId.bind(adapter),
  };
}

// Alone, with its writes gathered by turn of the event loop into the store's group commit, and
// with its saves and destroys staged until the request answers (as the server runs it).
describe.each([
  { mode: 'each write committed alone', grouped: false, staging: false },
  { mode: 'writes in the group commit', grouped: true, staging: false },
  { mode: 'saves and destroys staged', grouped: true, staging: true },
])('$mode', ({ grouped, staging }) => {
  describeContract('oidc-provider adapter', (store) => {
    let adapterFor: (model: string) => Adapter;
    /** The adapter of one model on a handle of the store, as a server process builds it. */
    const adapterOn = (db: Kysely<Tables>, model: string): Adapter => {
      const commits = grouped ? new CommitGroup(db) : undefined;
      const staged = staging && commits ? new StagedWrites(commits) : undefined;
      const adapter = new (createOidcAdapter(db, store.clock, commits, staged))(model);
      return staged ? settlingEachWrite(adapter, staged) : adapter;
    };
    beforeEach(() => {
      adapterFor = (model) => adapterOn(store.database.db, model);
    });

    async function rowIds(): Promise<string[]> {
      const rows = await store.database.db.selectFrom('oidc_payloads').select(['model', 'id']).execute();
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
      store.clock.advance(5_000);
      await sessions.upsert('s1', { uid: 'new-uid', accountId: 'alice', amr: ['pwd'] }, 10);

      expect(await sessions.findByUid('old-uid')).toBeUndefined();
      expect(await sessions.findByUid('new-uid')).toEqual({
        uid: 'new-uid',
        accountId: 'alice',
        amr: ['pwd'],
      });
      store.clock.advance(9_999);
      expect(await sessions.find('s1')).toBeDefined();
      expect(await rowIds()).toEqual(['Session/s1']);
    });

    it('hides a row the moment it expires, by every lookup', async () => {
      const codes = adapterFor('DeviceCode');
      await codes.upsert('d1', { uid: 'u1', userCode: 'ABCD-EFGH' }, 60);
      store.clock.advance(59_999);
      expect(await codes.find('d1')).toBeDefined();
      expect(await codes.findByUid('u1')).toBeDefined();
      expect(await codes.findByUserCode('ABCD-EFGH')).toBeDefined();

      store.clock.advance(1);
      expect(await codes.find('d1')).toBeUndefined();
      expect(await codes.findByUid('u1')).toBeUndefined();
      expect(await codes.findByUserCode('ABCD-EFGH')).toBeUndefined();
    });

    it('keeps a row without an expiry visible indefinitely', async () => {
      const clients = adapterFor('Client');
      await clients.upsert('c1', { client_id: 'c1' }, 0);
      store.clock.advance(10 * 365 * 24 * 3600 * 1000);
      expect(await clients.find('c1')).toEqual({ client_id: 'c1' });
    });

    it('marks a consumed payload with the epoch second it was consumed', async () => {
      const codes = adapterFor('AuthorizationCode');
      await codes.upsert('code1', { grantId: 'g1', accountId: 'alice' }, 60);
      expect(await codes.find('code1')).not.toHaveProperty('consumed');
      store.clock.advance(1_750);
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
      const handles = await store.handles(4);
      const adapters = handles.map((h) => adapterOn(h.db, 'AuthorizationCode'));
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

      store.clock.advance(30_000);
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

      expect(await pruneOidcPayloads(store.database.db, T0 + 119_999)).toBe(1);
      expect(await rowIds()).toEqual(['AccessToken/at-boundary', 'AccessToken/live', 'Client/forever']);
      expect(await pruneOidcPayloads(store.database.db, T0 + 120_000)).toBe(1);
      expect(await rowIds()).toEqual(['AccessToken/live', 'Client/forever']);
      expect(await pruneOidcPayloads(store.database.db, T0 + 120_000)).toBe(0);
    });
  });
});
