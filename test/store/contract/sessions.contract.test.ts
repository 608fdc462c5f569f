import { beforeEach, expect, it } from 'vitest';
import { type SessionRecord, SessionsRepository } from '../../../src/store/repositories/sessions.js';
import { UsersRepository } from '../../../src/store/repositories/users.js';
import { describeContract, T0 } from './contract-store.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const lifetimes = { idleMs: HOUR };

/** A session of `user` started at T0 for eight hours. */
const session = (id: string, user = 'u-1', hash = `${id}-hash`): SessionRecord => ({
  id,
  secret_hash: hash,
  user_id: user,
  auth_time: T0,
  amr: JSON.stringify(['pwd', 'otp', 'mfa']),
  acr: 'urn:passgate:acr:mfa',
  mfa_at: T0,
  address: '2001:db8::1',
  country: 'NZ',
  device: 'device-1',
  created_at: T0,
  last_seen_at: T0,
  expires_at: T0 + 8 * HOUR,
  revoked_at: null,
  revoked_reason: null,
});

describeContract('SessionsRepository', (store) => {
  let repo: SessionsRepository;
  beforeEach(() => {
    repo = new SessionsRepository(store.database.db);
  });

  it('finds a session by its hash exactly while it is live: not idle, not past its end, not revoked', async () => {
    await repo.create(session('s1'));
    expect(await repo.findLive('s1-hash', T0, lifetimes)).toEqual(session('s1'));
    expect(await repo.findLive('other', T0, lifetimes)).toBeUndefined();
    // Idle: an hour without use.
    expect(await repo.findLive('s1-hash', T0 + HOUR - 1, lifetimes)).toBeDefined();
    expect(await repo.findLive('s1-hash', T0 + HOUR, lifetimes)).toBeUndefined();
    // A use restarts the idle time, up to the absolute end.
    await repo.touch('s1', T0 + 7.5 * HOUR);
    expect(await repo.findLive('s1-hash', T0 + 8 * HOUR - 1, lifetimes)).toBeDefined();
    expect(await repo.findLive('s1-hash', T0 + 8 * HOUR, lifetimes)).toBeUndefined();
    // Revoked: over at once, once.
    expect(await repo.revoke('s1', T0 + HOUR, 'logout')).toBe(true);
    expect(await repo.revoke('s1', T0 + HOUR, 'logout')).toBe(false);
    expect(await repo.findLive('s1-hash', T0 + HOUR, lifetimes)).toBeUndefined();
    expect(await repo.findById('s1')).toMatchObject({ revoked_at: T0 + HOUR, revoked_reason: 'logout' });
  });

  it('finds a live session with its user by one read, as findLive and the users repository would, and without a user that is gone', async () => {
    const users = new UsersRepository(store.database.db, store.clock);
    const alice = await users.create({ username: 'alice', groups: ['Staff'], email: 'alice@example.com' });
    await repo.create(session('s1', alice.id));
    await repo.create(session('s2', 'u-gone'));
    expect(await repo.findLiveWithUser('s1-hash', T0, lifetimes)).toEqual({
      session: session('s1', alice.id),
      user: await users.findById(alice.id),
    });
    expect(await repo.findLiveWithUser('s2-hash', T0, lifetimes)).toEqual({
      session: session('s2', 'u-gone'),
      user: undefined,
    });
    expect(await repo.findLiveWithUser('other', T0, lifetimes)).toBeUndefined();
    expect(await repo.findLiveWithUser('s1-hash', T0 + HOUR, lifetimes)).toBeUndefined();
    expect(await repo.revoke('s1', T0, 'logout')).toBe(true);
    expect(await repo.findLiveWithUser('s1-hash', T0, lifetimes)).toBeUndefined();
  });

  it('records each application once, with the latest NameID, SessionIndex or sid, in the order first signed in to', async () => {
    await repo.create(session('s1'));
    const saml = {
      session_id: 's1',
      door: 'saml',
      application: 'salesforce',
      name_id: 'alice@example.com',
      name_id_format: 'emailAddress',
      session_index: '_idx1',
      sid: null,
    };
    await repo.recordApplication(saml, T0 + 1);
    await repo.recordApplication(
      {
        ...saml,
        door: 'oidc',
        application: 'wiki',
        name_id: null,
        name_id_format: null,
        session_index: null,
        sid: 'sid-1',
      },
      T0 + 2,
    );
    await repo.recordApplication({ ...saml, session_index: '_idx2' }, T0 + 3);
    expect(await repo.applications('s1')).toEqual([
      { ...saml, session_index: '_idx2', first_at: T0 + 1, last_at: T0 + 3 },
      {
        session_id: 's1',
        door: 'oidc',
        application: 'wiki',
        name_id: null,
        name_id_format: null,
        session_index: null,
        sid: 'sid-1',
        first_at: T0 + 2,
        last_at: T0 + 2,
      },
    ]);
  });

  it('records a later proof (step-up, password again) and lists a user’s live sessions newest first', async () => {
    await repo.create(session('s1'));
    await repo.create({ ...session('s2'), created_at: T0 + 1 });
    await repo.create(session('s3', 'u-2'));
    await repo.prove('s1', {
      amr: JSON.stringify(['pwd']),
      acr: 'urn:passgate:acr:password',
      mfa_at: null,
      auth_time: T0 + 5,
      last_seen_at: T0 + 5,
    });
    expect(await repo.findById('s1')).toMatchObject({ amr: '["pwd"]', mfa_at: null, auth_time: T0 + 5 });
    expect((await repo.liveOfUser('u-1', T0 + 10, lifetimes)).map((s) => s.id)).toEqual(['s2', 's1']);
    expect(await repo.revokeUser('u-1', T0 + 10, 'user_disabled')).toEqual(
      expect.arrayContaining(['s1', 's2']),
    );
    expect(await repo.liveOfUser('u-1', T0 + 10, lifetimes)).toEqual([]);
    expect(await repo.revokeUser('u-1', T0 + 11, 'user_disabled')).toEqual([]);
    expect(await repo.liveOfUser('u-2', T0 + 10, lifetimes)).toHaveLength(1);
  });

  it('prunes sessions over (end, idle, revoked) with their applications, and keeps live ones', async () => {
    await repo.create(session('live'));
    await repo.create({ ...session('ended'), expires_at: T0 + MINUTE });
    await repo.create(session('revoked'));
    await repo.create({ ...session('idle'), last_seen_at: T0 - HOUR });
    await repo.revoke('revoked', T0, 'logout');
    for (const id of ['live', 'ended', 'revoked', 'idle']) {
      await repo.recordApplication(
        {
          session_id: id,
          door: 'saml',
          application: 'google',
          name_id: 'a',
          name_id_format: null,
          session_index: 'i',
          sid: null,
        },
        T0,
      );
    }
    expect(await repo.prune(T0 + MINUTE, lifetimes)).toBe(3);
    expect(await repo.findById('live')).toBeDefined();
    for (const id of ['ended', 'revoked', 'idle']) {
      expect(await repo.findById(id)).toBeUndefined();
      expect(await repo.applications(id)).toEqual([]);
    }
    expect(await repo.applications('live')).toHaveLength(1);
  });

  it('refuses a second session with the same hash', async () => {
    await repo.create(session('s1'));
    await expect(repo.create(session('s2', 'u-1', 's1-hash'))).rejects.toThrow();
  });
});
