// An AD sync that finds users disabled in AD, deleted or moved out of scope ends their single
// sign-on sessions (src/directory/ad/sync.ts, the hook composed in src/server/core.ts), against
// the real Samba AD DC the run shares, in an OU of its own, on PostgreSQL.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { composeSessions } from '../../src/server/sessions.js';
import { adDirectoryConfig } from '../support/ad.js';
import { createTestCore, type TestCore } from '../support/core.js';
import { createOu, createUser, disableUser, holdDc, ldapmodify, requireDc } from '../support/samba/index.js';

const dc = requireDc(inject('samba'));
const TAG = randomBytes(2).toString('hex');

describe('AD sync ends the sessions of users it finds disabled or removed', () => {
  let release: () => Promise<void>;
  let test: TestCore;
  beforeAll(async () => {
    release = await holdDc(dc, 'shared');
  });
  afterAll(async () => {
    await test?.close();
    await release?.();
  });

  it('revokes them with the reason and the sync as the actor; other users keep theirs', async () => {
    const scope = await createOu(dc, `ss${TAG}`);
    const [disabled, deleted, stayer] = await Promise.all(
      ['sd', 'sr', 'sk'].map((prefix) =>
        createUser(dc, { sam: `${prefix}${TAG}`, container: scope.dn, password: null }),
      ),
    );
    test = await createTestCore('postgres', {
      directory: adDirectoryConfig(dc, { sync: { defaultCountry: 'FR', baseDns: [scope.dn] } }),
    });
    const { core, clock } = test;
    expect(await core.adSync!.run()).toMatchObject({ full: true, created: 3 });
    const sessions = composeSessions(core);
    const started = new Map<string, string>();
    for (const ad of [disabled!, deleted!, stayer!]) {
      const user = (await core.users.findByUsername(ad.sam))!;
      const { session } = await sessions.start({
        user,
        amr: ['pwd'],
        mfa: false,
        address: '192.0.2.9',
        country: null,
      });
      started.set(ad.sam, session.id);
    }

    clock.advance(60_000);
    await disableUser(dc, disabled!);
    await ldapmodify(dc, `dn: ${deleted!.dn}\nchangetype: delete\n`);
    expect(await core.adSync!.run()).toMatchObject({ full: false, disabled: 1, removed: 1 });

    const state = async (sam: string) => core.repositories.sessions.findById(started.get(sam)!);
    expect(await state(disabled!.sam)).toMatchObject({
      revoked_at: clock(),
      revoked_reason: 'user_disabled',
    });
    expect(await state(deleted!.sam)).toMatchObject({ revoked_at: clock(), revoked_reason: 'user_removed' });
    expect(await state(stayer!.sam)).toMatchObject({ revoked_at: null });
    const live = await sessions.list();
    expect(live.map((s) => s.username)).toEqual([stayer!.sam.toLowerCase()]);

    const events = await core.audit.recent({ type: 'session.revoke', limit: 10 });
    expect(events.map((e) => [e.reason, (e.details as { by?: string }).by]).sort()).toEqual([
      ['user_disabled', 'directory sync'],
      ['user_removed', 'directory sync'],
    ]);
    // A later run has nothing left to end.
    clock.advance(60_000);
    await core.adSync!.run();
    expect(await core.audit.recent({ type: 'session.revoke', limit: 10 })).toHaveLength(2);
  });
});
