import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PolicyServer, startPolicyServer } from '../policy/support.js';
import { Browser, formField } from '../support/browser.js';
import { SelfServiceBrowser } from './support.js';

describe('self-service security', () => {
  let server: PolicyServer;
  beforeAll(async () => {
    server = await startPolicyServer();
  });
  afterAll(() => server?.close());

  const signedIn = async (username: string) => {
    await server.addTotpUser(username);
    const ss = new SelfServiceBrowser(server);
    await ss.signIn(username, () => server.totp());
    expect(ss.atHome).toBe(true);
    return ss;
  };

  it('refuses a form post without a CSRF token, or with the token of another session', async () => {
    const alice = await signedIn('alice');
    const mallory = await signedIn('mallory');
    const posted = await alice.browser.fetch(`${server.url}/selfservice/signout`, { form: { _csrf: '' } });
    expect(posted.status).toBe(403);
    const foreign = formField(mallory.page.body, '_csrf')!;
    const crossed = await alice.browser.fetch(`${server.url}/selfservice/enrol`, {
      form: { _csrf: foreign, profile: 'default' },
    });
    expect(crossed.status).toBe(403);
    expect(await alice.open('/selfservice')).toMatchObject({ status: 200 });
    expect(alice.atHome).toBe(true); // still signed in
  });

  it('keeps a session and a sign-in in progress to the browser that started them', async () => {
    const owner = new SelfServiceBrowser(server);
    const started = await owner.browser.fetch(`${server.url}/selfservice`);
    expect(started.status).toBe(303);
    const loginUrl = new URL(started.headers.get('location')!, server.url).toString();
    expect(loginUrl).toMatch(/\/login\/ss-[\w-]+$/);
    const stranger = new Browser();
    const stolen = await stranger.fetch(loginUrl);
    expect(stolen.status).toBe(400); // LOGIN_EXPIRED: the flow's cookie is not there

    await signedIn('bea');
    const other = new SelfServiceBrowser(server);
    await other.open('/selfservice');
    expect(other.atHome).toBe(false);
    expect(other.page.body).toContain('name="password"');
  });

  it('ends a cancelled sign-in on the signed-out page, without a session', async () => {
    await server.addTotpUser('carl');
    const ss = new SelfServiceBrowser(server);
    await ss.open('/selfservice');
    const abort = /action="(\/login\/ss-[\w-]+\/abort)"/.exec(ss.page.body)?.[1];
    await ss.post(abort!);
    expect(new URL(ss.page.url).pathname).toBe('/selfservice/signed-out');
    expect(ss.page.body).toContain('id="signed-out"');
    await ss.open('/selfservice');
    expect(ss.page.body).toContain('name="password"');
  });

  it('rejects a tampered session cookie and ends an idle session', async () => {
    const ss = await signedIn('cora');
    const cookies = await ss.browser.jar.getCookies(`${server.url}/selfservice`);
    const session = cookies.find((c) => c.key === 'passgate.selfservice')!;
    const forged = new Browser({ cookie: `passgate.selfservice=${session.value.slice(0, -4)}AAAA` });
    const answer = await forged.fetch(`${server.url}/selfservice`);
    expect(answer.status).toBe(303);
    expect(answer.headers.get('location')).toMatch(/^\/login\/ss-/);

    server.clock.advance(16 * 60 * 1000);
    const idle = await ss.browser.fetch(`${server.url}/selfservice`);
    expect(idle.status).toBe(303);
    expect(idle.headers.get('location')).toMatch(/^\/login\/ss-/);
  });

  it("never shows, confirms or removes another user's token", async () => {
    const owner = await signedIn('dora');
    const tokenId = await owner.enrol();
    const other = await signedIn('ezra');
    await other.open(`/selfservice/tokens/${tokenId}/confirm`);
    expect(other.page.status).toBe(404);
    expect(other.page.body).toContain('data-code="TOKEN_NOT_YOURS"');
    await other.open('/selfservice');
    await other.post(`/selfservice/tokens/${tokenId}/remove`);
    expect(other.page.status).toBe(404);
    expect(await server.core.tokens.findById(tokenId!)).toBeDefined();
  });

  it('sends the security headers of the other sites, and a data: image only as the QR code', async () => {
    const ss = await signedIn('finn');
    await ss.enrol();
    const csp = ss.page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(ss.page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(ss.page.body).not.toMatch(/<script/);
  });
});

describe('self-service when MFA is mandatory', () => {
  let server: PolicyServer;
  beforeAll(async () => {
    server = await startPolicyServer({ config: { policies: { requireMfa: true } } });
  });
  afterAll(() => server?.close());

  it('keeps the last usable factor; an unconfirmed token does not count as one, and goes freely', async () => {
    const user = await server.addTotpUser('gail');
    const ss = new SelfServiceBrowser(server);
    await ss.signIn('gail', () => server.totp());
    const [first] = await server.core.tokens.listByUser(user.id);
    await ss.post(`/selfservice/tokens/${first!.id}/remove`);
    expect(ss.page.status).toBe(409);
    expect(ss.page.body).toContain('data-code="LAST_FACTOR"');
    expect(await server.core.tokens.findById(first!.id)).toBeDefined();
    const denied = (await server.core.audit.recent({ type: 'selfservice.token.remove', userId: user.id }))[0];
    expect(denied).toMatchObject({ outcome: 'denied', reason: 'LAST_FACTOR' });

    // A pending token does not count as a usable factor, and goes freely.
    const pending = await ss.enrol();
    await ss.open('/selfservice');
    await ss.post(`/selfservice/tokens/${first!.id}/remove`);
    expect(ss.page.status).toBe(409);
    await ss.post(`/selfservice/tokens/${pending}/remove`);
    expect(ss.page.body).toContain('data-done="removed"');
  });
});
