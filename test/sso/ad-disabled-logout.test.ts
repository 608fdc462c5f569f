// A user disabled in Active Directory loses the single sign-on session, found at the next use or
// by a sync run, and the OIDC client of that session gets its Logout Token by back channel
// (verified as the client does: jose against the published JWKS). Against the real Samba AD DC
// the run shares, in an OU of its own.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { User } from '../../src/store/repositories/users.js';
import { enrolOath } from '../../src/tokens/enrol.js';
import { timeStep, totpCode } from '../../src/tokens/oath.js';
import { type PolicyServer, SignIn, startPolicyServer } from '../policy/support.js';
import { adDirectoryConfig } from '../support/ad.js';
import { Browser } from '../support/browser.js';
import { LogoutReceiver, verifyLogoutToken } from '../support/logout-receiver.js';
import {
  type AdUser,
  createOu,
  createUser,
  DEFAULT_PASSWORD,
  disableUser,
  holdDc,
  requireDc,
} from '../support/samba/index.js';
import { TEST_CLIENT } from '../support/server.js';

const dc = requireDc(inject('samba'));
const TAG = randomBytes(2).toString('hex');
const SECRET = Buffer.from('AD-user TOTP secret 20b');

describe('a user disabled in Active Directory: the session ends and the OIDC client is told', () => {
  let release: () => Promise<void>;
  let receiver: LogoutReceiver;
  let passgate: PolicyServer;
  let atNextUse: AdUser;
  let atSync: AdUser;

  beforeAll(async () => {
    release = await holdDc(dc, 'shared');
    receiver = await new LogoutReceiver().start();
    const scope = await createOu(dc, `dl${TAG}`);
    atNextUse = await createUser(dc, { sam: `dn${TAG}`, container: scope.dn });
    atSync = await createUser(dc, { sam: `ds${TAG}`, container: scope.dn });
    passgate = await startPolicyServer({
      clients: [
        {
          ...TEST_CLIENT,
          client_id: 'app',
          backchannel_logout_uri: `${receiver.url}/backchannel`,
          backchannel_logout_session_required: true,
        },
      ],
      config: {
        directory: adDirectoryConfig(dc, { sync: { defaultCountry: 'FR', baseDns: [scope.dn] } }),
      },
    });
    expect(await passgate.core.adSync!.run()).toMatchObject({ created: 2 });
    for (const ad of [atNextUse, atSync]) {
      const user = (await passgate.core.users.findByUsername(ad.sam))!;
      await enrolOath(
        passgate.core.tokens,
        { userId: user.id, label: ad.sam, type: 'totp', secret: SECRET },
        'Passgate',
      );
    }
  }, 120_000);
  afterAll(async () => {
    await passgate?.close();
    await receiver?.close();
    await release?.();
  });

  /** The AD password (an LDAPS bind) and a TOTP code at the client; the browser, the user, the ID token's claims. */
  async function signIn(ad: AdUser) {
    const browser = new Browser();
    const flow = await SignIn.start(await passgate.rp('app'), browser);
    await flow.password(ad.sam, DEFAULT_PASSWORD);
    passgate.clock.advance(30_000); // a time step of its own: a code is accepted once
    if (flow.asksSecondFactor)
      await flow.code(totpCode(SECRET, timeStep(passgate.clock(), 30), 30, { algorithm: 'SHA1', digits: 6 }));
    const claims = await flow.claims();
    const user = (await passgate.core.users.findByUsername(ad.sam))!;
    return { browser, user, claims };
  }

  /** The user's one session, and the Logout Token that arrived for it, verified. */
  async function endedWithToken(user: User, sid: unknown, tokensBefore: number) {
    const [token] = (await receiver.tokens(tokensBefore + 1)).slice(tokensBefore);
    expect(await verifyLogoutToken(token!, passgate.url, 'app')).toMatchObject({ sid, sub: user.id });
    const sessions = await passgate.core.database.db
      .selectFrom('sessions')
      .selectAll()
      .where('user_id', '=', user.id)
      .execute();
    expect(sessions).toHaveLength(1);
    return sessions[0]!;
  }

  it('found at the next use: the session is refused and revoked, and the Logout Token goes out', async () => {
    const { browser, user, claims } = await signIn(atNextUse);
    // The session answers while the account is enabled.
    const before = await SignIn.start(await passgate.rp('app'), browser, { prompt: 'none' });
    expect((await before.claims()).sub).toBe(user.id);
    const tokens = receiver.received.tokens.length;

    await disableUser(dc, atNextUse);
    const silent = await SignIn.start(await passgate.rp('app'), browser, { prompt: 'none' });
    expect(new URL(silent.callback!).searchParams.get('error')).toBe('login_required');
    const session = await endedWithToken(user, claims.sid, tokens);
    expect(session).toMatchObject({ revoked_reason: 'user_disabled' });
    expect(session.revoked_at).not.toBeNull();
  });

  it('found by a sync run: the session ends without its browser, and the Logout Token goes out', async () => {
    const { browser, user, claims } = await signIn(atSync);
    const tokens = receiver.received.tokens.length;

    await disableUser(dc, atSync);
    passgate.clock.advance(60_000);
    expect(await passgate.core.adSync!.run()).toMatchObject({ disabled: 1 });
    const session = await endedWithToken(user, claims.sid, tokens);
    expect(session).toMatchObject({ revoked_reason: 'user_disabled' });
    const [revoked] = await passgate.core.audit.recent({ type: 'session.revoke', userId: user.id, limit: 1 });
    expect(revoked).toMatchObject({ details: { by: 'directory sync', sessions: [session.id] } });
    // The browser's cookie finds nothing any more.
    const silent = await SignIn.start(await passgate.rp('app'), browser, { prompt: 'none' });
    expect(new URL(silent.callback!).searchParams.get('error')).toBe('login_required');
  });
});
