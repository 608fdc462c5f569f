import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maskDestination } from '../../src/dispatch/mask.js';
import { PolicyStore } from '../../src/policy/policy-store.js';
import { timeStep, totpCode } from '../../src/tokens/oath.js';
import { parseSecret } from '../../src/tokens/secrets.js';
import { type PolicyServer, SignIn, startPolicyServer } from '../policy/support.js';
import { SelfServiceBrowser } from './support.js';

/** The code an authenticator app with this base32 secret shows at the server's (shifted) time. */
const codeOf = (server: PolicyServer, secret: string, shift = 0) =>
  totpCode(parseSecret(secret), timeStep(server.clock() + shift, 30), 30, { algorithm: 'SHA1', digits: 6 });

describe('self-service: sign-in and enrolment of an authenticator app', () => {
  let server: PolicyServer;
  beforeAll(async () => {
    server = await startPolicyServer();
    // Users of the group `on-site` skip MFA from this machine's address.
    await new PolicyStore(server.core.policies).put('authentication', 'on-site', {
      when: { networks: ['127.0.0.1', '::1'], groups: ['on-site'] },
      outcome: { action: 'allow' },
    });
  });
  afterAll(() => server?.close());

  const events = async (type: string, username: string) =>
    (await server.core.audit.recent({ type, limit: 200 })).filter((e) => e.username === username);

  it('signs in through the hosted login with the password and a TOTP code, and lists tokens and sign-ins', async () => {
    await server.addTotpUser('ann');
    const ss = new SelfServiceBrowser(server);
    await ss.signIn('ann', () => server.totp());
    expect(ss.atHome).toBe(true);
    expect(ss.page.body).toContain('data-type="totp" data-status="active"');
    expect(ss.page.body).toMatch(/id="logins"[\s\S]*My sign-in security[\s\S]*Authenticator app/);
    const [login] = await server.logins('ann');
    expect(login?.details).toMatchObject({ door: 'selfservice', application: 'selfservice', method: 'totp' });
  });

  it('enrols a second authenticator: pending until a right code, a wrong code refused, then active, and an e-mail goes out', async () => {
    const user = await server.addTotpUser('bob');
    const ss = new SelfServiceBrowser(server);
    await ss.signIn('bob', () => server.totp());
    const tokenId = await ss.enrol();
    expect(tokenId).toMatch(/^TOTP/);
    expect(ss.page.body).toMatch(/<img id="qr" src="data:image\/png;base64,/);
    const secret = ss.shownSecret;
    expect((await server.core.tokens.findById(tokenId!))?.status).toBe('pending');

    await ss.post(ss.formAction(), { code: '000000' === codeOf(server, secret) ? '111111' : '000000' });
    expect(ss.page.status).toBe(400);
    expect(ss.page.body).toContain('ENROL_INVALID_CODE');
    expect((await server.core.tokens.findById(tokenId!))?.status).toBe('pending');

    const before = server.outbox().length;
    await ss.post(ss.formAction(), { code: codeOf(server, secret) });
    expect(ss.atHome).toBe(true);
    expect(ss.page.body).toContain('data-done="added"');
    expect((await server.core.tokens.findById(tokenId!))?.status).toBe('active');
    const mail = server
      .outbox()
      .slice(before)
      .find((m) => m.channel === 'email');
    expect(mail).toMatchObject({ to: 'bob@example.test' });
    expect(mail?.text).toContain('bob');
    expect((await events('selfservice.token.activate', 'bob')).map((e) => e.outcome)).toEqual([
      'success',
      'failure',
    ]);
    expect((await events('selfservice.notice', 'bob'))[0]?.outcome).toBe('success');
    expect((await server.core.tokens.listByUser(user.id)).filter((t) => t.status === 'active')).toHaveLength(
      2,
    );
  });

  it('tells of an added factor by e-mail with the time in UTC, and audits NO_EMAIL for a user without an address', async () => {
    await server.addTotpUser('ned');
    const noe = await server.addTotpUser('noe');
    await server.core.database.db
      .updateTable('users')
      .set({ email: null })
      .where('id', '=', noe.id)
      .execute();
    for (const name of ['ned', 'noe']) {
      const ss = new SelfServiceBrowser(server);
      await ss.signIn(name, () => server.totp());
      await ss.enrol();
      const before = server.outbox().length;
      await ss.post(ss.formAction(), { code: codeOf(server, ss.shownSecret) });
      expect(ss.page.body).toContain('data-done="added"');
      const mails = server
        .outbox()
        .slice(before)
        .filter((m) => m.channel === 'email');
      if (name === 'ned') {
        expect(mails).toHaveLength(1);
        expect(mails[0]!.text).toMatch(/account ned on \d{4}-\d\d-\d\d \d\d:\d\d UTC, from the address /);
      } else expect(mails).toEqual([]);
    }
    const [sent] = await events('selfservice.notice', 'ned');
    expect(sent).toMatchObject({
      outcome: 'success',
      details: { channel: 'email', to: maskDestination('ned@example.test') },
    });
    const [unsent] = await events('selfservice.notice', 'noe');
    expect(unsent).toMatchObject({ outcome: 'failure', reason: 'NO_EMAIL' });
  });

  it('gives the browser a new single sign-on session id when a factor is added: the old id no longer finds the session', async () => {
    const user = await server.addTotpUser('eda');
    const ss = new SelfServiceBrowser(server);
    await ss.signIn('eda', () => server.totp());
    const sessionCookie = async () =>
      (await ss.browser.jar.getCookies(server.url)).find((c) => c.key === 'passgate.session')?.value;
    const before = await sessionCookie();
    expect(before).toMatch(/^[\w-]{43}$/);
    const [session] = await server.core.database.db
      .selectFrom('sessions')
      .selectAll()
      .where('user_id', '=', user.id)
      .execute();

    await ss.enrol();
    // Starting an enrolment proves nothing yet: the id stays.
    expect(await sessionCookie()).toBe(before);
    await ss.post(ss.formAction(), { code: codeOf(server, ss.shownSecret) });
    expect(ss.page.body).toContain('data-done="added"');

    const after = await sessionCookie();
    expect(after).toMatch(/^[\w-]{43}$/);
    expect(after).not.toBe(before);
    const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');
    const rows = await server.core.database.db
      .selectFrom('sessions')
      .selectAll()
      .where('user_id', '=', user.id)
      .execute();
    // The same session (its applications and the site's binding stay), under the new id only.
    expect(rows.map((r) => [r.id, r.secret_hash, r.revoked_at])).toEqual([
      [session!.id, sha256(after!), null],
    ]);
    expect(rows.some((r) => r.secret_hash === sha256(before!))).toBe(false);
    const [rotated] = await events('session.rotate', 'eda');
    expect(rotated).toMatchObject({
      outcome: 'success',
      details: { session: session!.id, reason: 'factor_added' },
    });
    expect(JSON.stringify(rotated)).not.toContain(after);
    // The site goes on under the new id.
    await ss.open('/selfservice');
    expect(ss.atHome).toBe(true);
  });

  it('never accepts a pending token at sign-in', async () => {
    await server.addTotpUser('cid');
    const ss = new SelfServiceBrowser(server);
    await ss.signIn('cid', () => server.totp());
    await ss.enrol();
    const pendingCode = codeOf(server, ss.shownSecret, 30_000);
    const signIn = await SignIn.start(await server.rp());
    await signIn.password('cid');
    expect(signIn.asksSecondFactor).toBe(true);
    await signIn.code(pendingCode);
    expect(signIn.callback).toBeUndefined();
    expect(signIn.page.status).toBe(401); // MFA_INVALID_CODE
  });

  it('refuses to add a factor in a session signed in without one, and lets the user step up', async () => {
    await server.addTotpUser('dan', { groups: ['on-site'] });
    const ss = new SelfServiceBrowser(server);
    await ss.signIn('dan');
    expect(ss.atHome).toBe(true); // the rule let the password alone through
    await ss.open('/selfservice/enrol');
    expect(ss.page.status).toBe(403);
    expect(ss.page.body).toContain('ENROL_NEEDS_MFA');
    await ss.post('/selfservice/enrol', { profile: 'default' });
    expect(ss.page.status).toBe(403);
    expect((await events('selfservice.token.enrol', 'dan'))[0]).toMatchObject({
      outcome: 'denied',
      reason: 'ENROL_NEEDS_MFA',
    });

    await ss.open('/selfservice');
    await ss.post('/selfservice/step-up');
    expect(ss.page.url).toMatch(/\/login\/ss-[\w-]+\/mfa$/);
    await ss.post(ss.formAction(), { action: 'verify', code: server.totp() });
    expect(ss.atHome).toBe(true);
    expect(await ss.enrol()).toMatch(/^TOTP/);
  });

  it('allows a first enrolment with the password alone inside the window, and not after it', async () => {
    await server.addUser('eve', 'correct horse battery');
    const ss = new SelfServiceBrowser(server);
    await ss.signIn('eve');
    expect(ss.atHome).toBe(true);
    const tokenId = await ss.enrol();
    expect(tokenId).toMatch(/^TOTP/);
    const [enrolled] = await events('selfservice.token.enrol', 'eve');
    expect(enrolled?.details).toMatchObject({ first: true, status: 'pending' });

    await server.addUser('fay', 'correct horse battery');
    server.clock.advance(15 * 24 * 3600 * 1000);
    const late = new SelfServiceBrowser(server);
    await late.signIn('fay');
    expect(await late.enrol()).toBeUndefined();
    expect(late.page.status).toBe(403);
    expect(late.page.body).toContain('ENROL_WINDOW_CLOSED');
  });

  it('refuses a first enrolment from a network that skips MFA', async () => {
    await server.addUser('gus', 'correct horse battery', { groups: ['on-site'] });
    const ss = new SelfServiceBrowser(server);
    await ss.signIn('gus');
    expect(ss.atHome).toBe(true);
    expect(await ss.enrol()).toBeUndefined();
    expect(ss.page.status).toBe(403);
    expect(ss.page.body).toContain('ENROL_SKIPPED_NETWORK');
    expect((await events('selfservice.token.enrol', 'gus'))[0]?.reason).toBe('ENROL_SKIPPED_NETWORK');
  });

  it('removes an own token, and audits it', async () => {
    const user = await server.addTotpUser('hal');
    const ss = new SelfServiceBrowser(server);
    await ss.signIn('hal', () => server.totp());
    const [token] = await server.core.tokens.listByUser(user.id);
    await ss.post(`/selfservice/tokens/${token!.id}/remove`);
    expect(ss.atHome).toBe(true);
    expect(ss.page.body).toContain('data-done="removed"');
    expect(await server.core.tokens.findById(token!.id)).toBeUndefined();
    expect((await events('selfservice.token.remove', 'hal'))[0]?.outcome).toBe('success');
  });
});
