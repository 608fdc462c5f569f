import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, formAction, formField } from '../support/browser.js';
import { authorizationUrl, discover, loginWithCode, signInWithPassword } from '../support/relying-party.js';
import { startTestServer, TEST_CLIENT, type TestServer } from '../support/server.js';

const PASSWORD = 'correct horse battery';
const REDIRECT = TEST_CLIENT.redirect_uris[0]!;

/** Opens an authorization request and returns the hosted login page, or the response when there is none. */
async function openLoginPage(passgate: TestServer, browser: Browser, params: Record<string, string> = {}) {
  const url = authorizationUrl(passgate.url, params);
  return (await browser.follow(url, {}, (location) => location.startsWith(REDIRECT))).last;
}

/** Posts the login form of `page` with the given fields (its CSRF token unless overridden). */
function submitLogin(browser: Browser, page: { body: string; url: string }, fields: Record<string, string>) {
  return browser.fetch(formAction(page.body, page.url), {
    form: { _csrf: formField(page.body, '_csrf') ?? '', ...fields },
  });
}

/** The visible message of a page, without the per-request CSRF token and interaction id. */
function visibleText(html: string): string {
  return html
    .replace(/name="_csrf" value="[^"]*"/g, '')
    .replace(/\/login\/[\w-]+/g, '/login/UID')
    .replace(/lang=[\w-]*"/g, '');
}

describe('the OIDC door refuses bad input with a clear page', () => {
  let passgate: TestServer;

  beforeAll(async () => {
    passgate = await startTestServer();
    await passgate.addUser('alice', PASSWORD);
  });
  afterAll(() => passgate?.close());

  it('shows an error page, not a redirect, for a redirect_uri that is not registered', async () => {
    const page = await openLoginPage(passgate, new Browser(), {
      redirect_uri: 'https://evil.example/callback',
    });
    expect(page.status).toBe(400);
    expect(page.headers.get('location')).toBeNull();
    expect(page.body).toContain('data-code="invalid_redirect_uri"');
    expect(page.body).not.toMatch(/(href|action)="https:\/\/evil\.example/);
  });

  it('shows an error page for an unknown client', async () => {
    const page = await openLoginPage(passgate, new Browser(), { client_id: 'no-such-client' });
    expect(page.status).toBe(400);
    expect(page.body).toContain('data-code="invalid_client"');
  });

  it('shows an error page for a request without client_id', async () => {
    const { status, body } = await new Browser().fetch(`${passgate.url}/oidc/auth?response_type=code`);
    expect(status).toBe(400);
    expect(body).toContain('data-code="invalid_request"');
  });

  it('returns invalid_request to the application when PKCE is missing', async () => {
    const page = await openLoginPage(passgate, new Browser(), {
      code_challenge: '',
      code_challenge_method: '',
    });
    const location = new URL(page.headers.get('location')!);
    expect(location.origin + location.pathname).toBe(REDIRECT);
    expect(location.searchParams.get('error')).toBe('invalid_request');
    expect(location.searchParams.get('error_description')).toMatch(/PKCE/);
  });

  it('returns unsupported_response_type for the implicit flow', async () => {
    const page = await openLoginPage(passgate, new Browser(), { response_type: 'token' });
    // The implicit flow answers in the fragment.
    const fragment = new URLSearchParams(new URL(page.headers.get('location')!).hash.slice(1));
    expect(fragment.get('error')).toBe('unsupported_response_type');
  });

  it('never shows a stack trace, even for garbage parameters', async () => {
    const garbage = `%00${'\u0000'.repeat(3)}${'x'.repeat(5000)}`;
    const page = await openLoginPage(passgate, new Browser(), {
      scope: garbage,
      state: garbage,
      nonce: garbage,
    });
    expect(page.status).toBeLessThan(500);
    expect(page.body).not.toMatch(/\n\s+at \S+ \(/);
  });

  it('rejects an oversized login form with 413 before reading it', async () => {
    const browser = new Browser();
    const page = await openLoginPage(passgate, browser);
    const response = await browser.fetch(formAction(page.body, page.url), {
      form: { _csrf: formField(page.body, '_csrf') ?? '', username: 'alice', password: 'x'.repeat(200_000) },
    });
    expect(response.status).toBe(413);
    expect(response.body).toContain('data-code="payload_too_large"');
  });

  it('answers the token endpoint ahead of the sites: their headers, none of their cookies', async () => {
    const basic = Buffer.from(`${TEST_CLIENT.client_id}:${TEST_CLIENT.client_secret}`).toString('base64');
    const response = await fetch(`${passgate.url}/oidc/token?lang=de`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${basic}`,
        'content-type': 'application/x-www-form-urlencoded',
        cookie: 'passgate_lang=fr',
      },
      body: 'grant_type=client_credentials',
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { token_type: string }).token_type).toBe('Bearer');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    // The language switcher's cookie belongs to the pages: a client's call sets none.
    expect(response.headers.get('set-cookie')).toBeNull();
  });

  it('rejects an oversized token request without crashing', async () => {
    const response = await fetch(`${passgate.url}/oidc/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `grant_type=client_credentials&padding=${'x'.repeat(2_000_000)}`,
    });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    expect((await fetch(`${passgate.url}/healthz`)).status).toBe(200);
  });
});

describe('the hosted login page is protected against forgery', () => {
  let passgate: TestServer;

  beforeAll(async () => {
    passgate = await startTestServer();
    await passgate.addUser('alice', PASSWORD);
  });
  afterAll(() => passgate?.close());

  it('refuses a form without a CSRF token, and checks no password', async () => {
    const browser = new Browser();
    const page = await openLoginPage(passgate, browser);
    const response = await submitLogin(browser, page, { _csrf: '', username: 'alice', password: PASSWORD });
    expect(response.status).toBe(403);
    expect(response.body).toContain('data-code="CSRF_INVALID"');
    const attempts = await passgate.core.audit.recent({ type: 'login.password' });
    expect(attempts).toHaveLength(0);
  });

  it('refuses a wrong CSRF token', async () => {
    const browser = new Browser();
    const page = await openLoginPage(passgate, browser);
    const response = await submitLogin(browser, page, {
      _csrf: 'forged-token',
      username: 'alice',
      password: PASSWORD,
    });
    expect(response.status).toBe(403);
  });

  it('refuses a token issued for another login page', async () => {
    const browser = new Browser();
    const first = await openLoginPage(passgate, browser);
    const second = await openLoginPage(passgate, browser);
    const response = await browser.fetch(formAction(second.body, second.url), {
      form: { _csrf: formField(first.body, '_csrf')!, username: 'alice', password: PASSWORD },
    });
    expect(response.status).toBe(403);
  });

  it('refuses a token sent without its cookie (a cross-site post)', async () => {
    const browser = new Browser();
    const page = await openLoginPage(passgate, browser);
    const attacker = new Browser();
    for (const cookie of await browser.jar.getCookies(page.url)) {
      if (!cookie.key.includes('csrf')) await attacker.jar.setCookie(cookie.clone()!, page.url);
    }
    const response = await submitLogin(attacker, page, { username: 'alice', password: PASSWORD });
    expect(response.status).toBe(403);
  });

  it('sends security headers on the login page', async () => {
    const page = await openLoginPage(passgate, new Browser());
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.headers.get('x-powered-by')).toBeNull();
  });
});

describe('sign-in failures do not reveal who exists, and are throttled', () => {
  let passgate: TestServer;

  beforeAll(async () => {
    passgate = await startTestServer({
      config: {
        loginThrottle: {
          perUser: { maxFailures: 3, windowSeconds: 600 },
          perAddress: { maxFailures: 8, windowSeconds: 600 },
        },
        server: { trustedProxies: ['127.0.0.1'] },
      },
    });
    await passgate.addUser('alice', PASSWORD);
    await passgate.addUser('bob', PASSWORD);
    await passgate.addUser('carol', PASSWORD, { disabled: true });
  });
  afterAll(() => passgate?.close());

  const attempt = async (username: string, password: string, address = '198.51.100.7') => {
    const browser = new Browser({ 'x-forwarded-for': address });
    const page = await openLoginPage(passgate, browser);
    return submitLogin(browser, page, { username, password });
  };

  it('answers a wrong user name and a wrong password with the same page', async () => {
    const unknownUser = await attempt('mallory', 'whatever password', '198.51.100.1');
    const wrongPassword = await attempt('bob', 'whatever password', '198.51.100.2');
    expect(unknownUser.status).toBe(401);
    expect(wrongPassword.status).toBe(401);
    expect(unknownUser.body).toContain('The user name or password is incorrect.');
    expect(visibleText(unknownUser.body).replace('mallory', 'USER')).toBe(
      visibleText(wrongPassword.body).replace('bob', 'USER'),
    );
  });

  it('records the reason of each failure in the audit log', async () => {
    const events = await passgate.core.audit.recent({ type: 'login.password' });
    expect(events.find((e) => e.username === 'mallory')).toMatchObject({
      outcome: 'failure',
      reason: 'INVALID_CREDENTIALS',
      address: '198.51.100.1',
    });
  });

  it('tells a disabled user so only after a correct password', async () => {
    const wrong = await attempt('carol', 'not her password', '198.51.100.3');
    expect(wrong.body).toContain('The user name or password is incorrect.');
    const right = await attempt('carol', PASSWORD, '198.51.100.3');
    expect(right.status).toBe(403);
    expect(right.body).toContain('Your account is disabled');
  });

  it('stops a user after the configured number of failures, even with the right password, from any address', async () => {
    for (let i = 0; i < 3; i++)
      expect((await attempt('alice', `wrong ${i}`, `203.0.113.${i}`)).status).toBe(401);
    const blocked = await attempt('alice', PASSWORD, '203.0.113.99');
    expect(blocked.status).toBe(429);
    expect(blocked.body).toContain('Too many attempts');
    const events = await passgate.core.audit.recent({ type: 'login.password' });
    expect(events[0]).toMatchObject({ username: 'alice', outcome: 'denied', reason: 'THROTTLED' });
  });

  it('stops an address that tries many user names', async () => {
    const address = '192.0.2.50';
    for (let i = 0; i < 8; i++) expect((await attempt(`guess${i}`, 'password', address)).status).toBe(401);
    expect((await attempt('bob', PASSWORD, address)).status).toBe(429);
    // Another address is not affected.
    const elsewhere = await attempt('bob', PASSWORD, '192.0.2.51');
    expect(elsewhere.status).toBe(303);
  });

  it('holds the limit under concurrent attempts', async () => {
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => attempt('dave-does-not-exist', `wrong ${i}`, `100.64.0.${i}`)),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(3);
    expect(statuses.filter((s) => s === 429)).toHaveLength(9);
  });
});

describe('authorization codes and tokens are single-use', () => {
  let passgate: TestServer;
  let config: client.Configuration;

  beforeAll(async () => {
    passgate = await startTestServer();
    await passgate.addUser('alice', PASSWORD);
    config = await discover(passgate.url);
  });
  afterAll(() => passgate?.close());

  it('rejects a replayed authorization code and revokes the tokens issued from it', async () => {
    const { tokens, callback, verifier } = await loginWithCode(config, 'alice', PASSWORD);
    const replay = await fetch(`${passgate.url}/oidc/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${TEST_CLIENT.client_id}:${TEST_CLIENT.client_secret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: callback.searchParams.get('code')!,
        redirect_uri: REDIRECT,
        code_verifier: verifier,
      }),
    });
    expect(replay.status).toBe(400);
    expect(((await replay.json()) as { error: string }).error).toBe('invalid_grant');
    const introspection = await client.tokenIntrospection(config, tokens.access_token);
    expect(introspection.active).toBe(false);
    await expect(client.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
  });

  it('accepts a code exactly once when it is exchanged concurrently', async () => {
    const { verifier, callback } = await signInWithPassword(config, 'alice', PASSWORD);
    const code = new URL(callback!).searchParams.get('code')!;
    const exchange = () =>
      fetch(`${passgate.url}/oidc/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${TEST_CLIENT.client_id}:${TEST_CLIENT.client_secret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code,
          redirect_uri: REDIRECT,
          code_verifier: verifier,
        }),
      }).then((r) => r.status);
    const statuses = await Promise.all(Array.from({ length: 10 }, exchange));
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 400)).toHaveLength(9);
  });

  it('stops honouring the tokens of a user who is disabled', async () => {
    await passgate.addUser('erin', PASSWORD);
    const { tokens } = await loginWithCode(config, 'erin', PASSWORD);
    await passgate.core.users.setDisabled('erin', true);
    await expect(
      client.fetchUserInfo(config, tokens.access_token, client.skipSubjectCheck),
    ).rejects.toThrow();
    await expect(client.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
  });

  it('answers introspection with active: false for the tokens of a disabled or removed user', async () => {
    const introspect = async (token: string) => (await client.tokenIntrospection(config, token)).active;
    await passgate.addUser('fay', PASSWORD);
    const fay = await loginWithCode(config, 'fay', PASSWORD);
    expect(await introspect(fay.tokens.access_token)).toBe(true);
    expect(await introspect(fay.tokens.refresh_token!)).toBe(true);
    await passgate.core.users.setDisabled('fay', true);
    expect(await introspect(fay.tokens.access_token)).toBe(false);
    expect(await introspect(fay.tokens.refresh_token!)).toBe(false);
    await passgate.core.users.setDisabled('fay', false);
    expect(await introspect(fay.tokens.access_token)).toBe(true);

    // A directory user the synchronisation no longer finds is marked removed: the same answer.
    const gus = await passgate.addUser('gus', PASSWORD);
    const { tokens } = await loginWithCode(config, 'gus', PASSWORD);
    await passgate.core.database.db
      .updateTable('users')
      .set({ external_id: 'a6f0c3a2-0000-4000-8000-00000000a11e' })
      .where('id', '=', gus.id)
      .execute();
    expect(await passgate.core.directoryUsers.markRemovedMany(['a6f0c3a2-0000-4000-8000-00000000a11e'])).toBe(
      1,
    );
    expect(await introspect(tokens.access_token)).toBe(false);
    expect(await introspect(tokens.refresh_token!)).toBe(false);
  });

  it('never writes a password, code, token or client secret to the log', async () => {
    const { tokens, callback } = await loginWithCode(config, 'alice', PASSWORD);
    await client.refreshTokenGrant(config, tokens.refresh_token!);
    const log = passgate.logs.join('\n');
    expect(log.length).toBeGreaterThan(1000);
    for (const secret of [
      PASSWORD,
      TEST_CLIENT.client_secret,
      callback.searchParams.get('code')!,
      tokens.access_token,
      tokens.refresh_token!,
      tokens.id_token!,
    ]) {
      expect(log).not.toContain(secret);
    }
  });
});
