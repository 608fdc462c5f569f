import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maskDestination } from '../../src/dispatch/mask.js';
import { PolicyStore } from '../../src/policy/policy-store.js';
import { type PolicyServer, startPolicyServer } from '../policy/support.js';
import { formField } from '../support/browser.js';
import { SelfServiceBrowser } from './support.js';

const OLD = '+33612345642';
const NEW = '+33698765432';

/** The code of the last SMS the outbox holds for a number. */
const lastCode = (server: PolicyServer, to: string) => {
  const sms = server
    .outbox()
    .filter((m) => m.channel === 'sms' && m.to === to)
    .at(-1);
  return sms && /(\d{6,8})/.exec(sms.text)?.[1];
};

/** Past the Passcode Policy's resend interval, so the next passcode may go out. */
const waitResend = (server: PolicyServer) => server.clock.advance(31_000);

describe('self-service: changing the mobile number, when not allowed', () => {
  let server: PolicyServer;
  beforeAll(async () => {
    server = await startPolicyServer();
  });
  afterAll(() => server?.close());

  it('is off by default: no link, and the page and the form refuse', async () => {
    await server.addTotpUser('olga');
    const ss = new SelfServiceBrowser(server);
    await ss.signIn('olga', () => server.totp());
    expect(ss.atHome).toBe(true);
    expect(ss.page.body).not.toContain('id="change-mobile"');
    await ss.open('/selfservice/mobile');
    expect(ss.page.status).toBe(404);
    expect(ss.page.body).toContain('data-code="MOBILE_CHANGE_DISABLED"');
    await ss.post('/selfservice/mobile', { mobile: NEW });
    expect(ss.page.status).toBe(404);
    expect(server.outbox().some((m) => m.to === NEW)).toBe(false);
  });
});

describe('self-service: changing the mobile number', () => {
  let server: PolicyServer;
  beforeAll(async () => {
    server = await startPolicyServer({
      config: { selfservice: { mobileChange: true, defaultCountry: 'FR' } },
    });
    await new PolicyStore(server.core.policies).put('authentication', 'on-site', {
      when: { networks: ['127.0.0.1', '::1'], groups: ['on-site'] },
      outcome: { action: 'allow' },
    });
  });
  afterAll(() => server?.close());

  /** A user whose only factor is their directory mobile, signed in with an SMS passcode. */
  const smsUser = async (username: string, mobile = OLD) => {
    const user = await server.addUser(username, 'correct horse battery', { mobile });
    const ss = new SelfServiceBrowser(server);
    waitResend(server);
    await ss.signIn(username, () => lastCode(server, mobile)!);
    expect(ss.atHome).toBe(true);
    waitResend(server);
    return { user, ss };
  };

  /** Starts a change to `mobile`; returns its id (from the confirm page's URL). */
  const start = async (ss: SelfServiceBrowser, mobile: string) => {
    await ss.open('/selfservice/mobile');
    await ss.post('/selfservice/mobile', { mobile });
    return /\/selfservice\/mobile\/([\w-]+)$/.exec(ss.page.url)?.[1];
  };

  const events = async (type: string, username: string) =>
    (await server.core.audit.recent({ type, limit: 200 })).filter((e) => e.username === username);

  it('changes the number after the code texted to it: the next sign-in texts the new number, whatever the directory says', async () => {
    const { user, ss } = await smsUser('sam');
    expect(ss.page.body).toContain('id="change-mobile"');
    await ss.open('/selfservice/mobile');
    expect(ss.page.body).toContain(maskDestination(OLD));
    const mailsBefore = server.outbox().filter((m) => m.channel === 'email').length;

    const id = await start(ss, '06 98 76 54 32'); // national format, default country FR
    expect(id).toBeDefined();
    expect(ss.page.body).toContain(maskDestination(NEW));
    const code = lastCode(server, NEW)!;
    expect(code).toBeDefined();
    const sessionCookie = async () =>
      (await ss.browser.jar.getCookies(server.url)).find((c) => c.key === 'passgate.session')?.value;
    const cookieBefore = await sessionCookie();
    await ss.post(ss.formAction(), { code });
    expect(ss.atHome).toBe(true);
    expect(ss.page.body).toContain('data-done="mobile"');
    // The browser's session id is renewed, as when a factor is added; the site goes on under it.
    const cookieAfter = await sessionCookie();
    expect(cookieAfter).toMatch(/^[\w-]{43}$/);
    expect(cookieAfter).not.toBe(cookieBefore);
    const [rotated] = await events('session.rotate', 'sam');
    expect(rotated).toMatchObject({ outcome: 'success', details: { reason: 'mobile_changed' } });

    const phones = (await server.core.tokens.listByUser(user.id)).filter((t) =>
      ['sms', 'voice'].includes(t.type),
    );
    expect(phones.map((t) => [t.type, t.destination]).sort()).toEqual([
      ['sms', NEW],
      ['voice', NEW],
    ]);
    const [changed] = await events('selfservice.mobile.changed', 'sam');
    expect(changed).toMatchObject({
      outcome: 'success',
      details: { from: maskDestination(OLD), to: maskDestination(NEW) },
    });
    const audited = JSON.stringify(await server.core.audit.recent({ userId: user.id, limit: 100 }));
    expect(audited).not.toContain(code);
    expect(audited).not.toContain(NEW);
    const mails = server.outbox().filter((m) => m.channel === 'email');
    expect(mails.length).toBe(mailsBefore + 1);
    expect(mails.at(-1)).toMatchObject({ to: 'sam@example.test' });
    expect(mails.at(-1)!.text).toContain(maskDestination(NEW));

    // An AD sync writes another number to users.mobile: the user's own number wins.
    await server.core.database.db
      .updateTable('users')
      .set({ mobile: '+33611111111' })
      .where('id', '=', user.id)
      .execute();
    waitResend(server);
    const next = new SelfServiceBrowser(server);
    const sentBefore = server.outbox().length;
    await next.signIn('sam', () => lastCode(server, NEW)!);
    expect(next.atHome).toBe(true);
    const sent = server
      .outbox()
      .slice(sentBefore)
      .filter((m) => m.channel === 'sms');
    expect(sent.map((m) => m.to)).toEqual([NEW]);
  });

  it('refuses a session signed in without a second factor, and offers the step-up', async () => {
    await server.addTotpUser('nina', { groups: ['on-site'] });
    const ss = new SelfServiceBrowser(server);
    await ss.signIn('nina');
    expect(ss.atHome).toBe(true);
    await ss.open('/selfservice/mobile');
    expect(ss.page.status).toBe(403);
    expect(ss.page.body).toContain('data-code="MOBILE_NEEDS_MFA"');
    expect(ss.page.body).toContain('action="/selfservice/step-up"');
    await ss.post('/selfservice/mobile', { mobile: NEW });
    expect(ss.page.status).toBe(403);
    expect((await events('selfservice.mobile.change', 'nina'))[0]).toMatchObject({
      outcome: 'denied',
      reason: 'MOBILE_NEEDS_MFA',
    });
  });

  it('refuses an invalid number with a clear error, and sends nothing', async () => {
    const { ss } = await smsUser('ivan', '+33612345600');
    const before = server.outbox().length;
    for (const typed of ['12', '+33 6 12', 'call me', '']) {
      await ss.open('/selfservice/mobile');
      await ss.post('/selfservice/mobile', { mobile: typed });
      expect(ss.page.status).toBe(400);
      expect(ss.page.body).toContain('data-code="MOBILE_INVALID"');
      expect(ss.errorText).toContain('not a valid mobile number');
    }
    expect(server.outbox().length).toBe(before);
  });

  it('keeps the number on a wrong code, and drops the change after too many', async () => {
    const { user, ss } = await smsUser('walt', '+33612345601');
    await start(ss, '+33698765401');
    const confirm = ss.formAction();
    const right = lastCode(server, '+33698765401')!;
    const wrong = right === '00000000' ? '11111111' : '00000000';
    await ss.post(confirm, { code: wrong });
    expect(ss.page.status).toBe(400);
    expect(ss.page.body).toContain('data-code="MOBILE_INVALID_CODE"');
    for (let i = 0; i < 4; i++) await ss.post(confirm, { code: wrong });
    await ss.post(confirm, { code: right });
    expect(ss.page.status).toBe(429);
    expect(ss.page.body).toContain('data-code="MOBILE_TOO_MANY_ATTEMPTS"');
    const phones = (await server.core.tokens.listByUser(user.id)).filter((t) => t.type === 'sms');
    expect(phones.every((t) => t.destination === null)).toBe(true);
    expect((await events('selfservice.mobile.changed', 'walt')).every((e) => e.outcome === 'failure')).toBe(
      true,
    );
  });

  it('throttles resending by the Passcode Policy', async () => {
    const { ss } = await smsUser('rita', '+33612345602');
    await start(ss, '+33698765402');
    await ss.post(/action="([^"]+\/resend)"/.exec(ss.page.body)![1]!);
    expect(ss.page.body).toContain('data-code="MFA_RESEND_TOO_SOON"');
    expect(server.outbox().filter((m) => m.to === '+33698765402')).toHaveLength(1);
  });

  it('refuses a form post without the CSRF token of the session', async () => {
    const { ss } = await smsUser('cleo', '+33612345603');
    const other = await smsUser('dave', '+33612345604');
    const id = await start(ss, '+33698765403');
    const code = lastCode(server, '+33698765403')!;
    const bare = await ss.browser.fetch(`${server.url}/selfservice/mobile/${id}/confirm`, { form: { code } });
    expect(bare.status).toBe(403);
    const foreign = formField(other.ss.page.body, '_csrf')!;
    const crossed = await ss.browser.fetch(`${server.url}/selfservice/mobile/${id}/confirm`, {
      form: { _csrf: foreign, code },
    });
    expect(crossed.status).toBe(403);
    const started = await ss.browser.fetch(`${server.url}/selfservice/mobile`, { form: { mobile: NEW } });
    expect(started.status).toBe(403);
  });

  it("cannot be confirmed from another user's session", async () => {
    const { ss: mallory } = await smsUser('mal', '+33612345606');
    const { user, ss } = await smsUser('alma', '+33612345605');
    const id = await start(ss, '+33698765405');
    const code = lastCode(server, '+33698765405')!;
    await mallory.open(`/selfservice/mobile/${id}`);
    expect(mallory.page.status).toBe(404);
    expect(mallory.page.body).toContain('data-code="MOBILE_CHANGE_EXPIRED"');
    await mallory.open('/selfservice');
    await mallory.post(`/selfservice/mobile/${id}/confirm`, { code });
    expect(mallory.page.status).toBe(404);
    const phones = (await server.core.tokens.listByUser(user.id)).filter((t) => t.type === 'sms');
    expect(phones.every((t) => t.destination === null)).toBe(true);
    // The owner still can.
    await ss.post(`/selfservice/mobile/${id}/confirm`, { code });
    expect(ss.page.body).toContain('data-done="mobile"');
  });
});
