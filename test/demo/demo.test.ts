import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  allowsInsecureRequests,
  IssuerUnreachableError,
  type RunningDemo,
  startDemo,
} from '../../src/demo/app.js';
import { DEMO_CLIENT_ID } from '../../src/demo/main.js';
import { Browser, type Exchange, formAction, formField } from '../support/browser.js';
import { freePort } from '../support/free-port.js';
import { startTestServer, type TestClient, type TestServer } from '../support/server.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PASSWORD = 'correct horse battery';

/** The shipped registration of the demo, as is: it must work whatever port the demo listens on. */
function demoClient(): TestClient {
  const shipped = parseYaml(readFileSync(`${ROOT}metadata/oidc/demo.yaml`, 'utf8')) as TestClient;
  expect(shipped.client_id).toBe(DEMO_CLIENT_ID);
  return shipped;
}

/** The href of the link whose text is `text`, absolute. */
function linkTo(page: Exchange, text: string): string {
  const href = new RegExp(`<a href="([^"]+)">${text}</a>`).exec(page.body)?.[1];
  if (!href) throw new Error(`no "${text}" link in: ${page.body.slice(0, 500)}`);
  return new URL(href.replace(/&amp;/g, '&'), page.url).toString();
}

/** Home page → "Sign in with Passgate" → hosted login form → back through the demo's callback. */
async function signInThroughDemo(demo: RunningDemo, username: string, browser = new Browser()) {
  const home = await browser.fetch(demo.url);
  const { last: login } = await browser.follow(linkTo(home, 'Sign in with Passgate'));
  expect(login.body).toContain('name="password"');
  const { last: claims } = await browser.follow(formAction(login.body, login.url), {
    form: { _csrf: formField(login.body, '_csrf') ?? '', username, password: PASSWORD },
  });
  return { browser, claims };
}

/** The value cell of one claim row of the claims page, as HTML. */
function claimCell(html: string, claim: string): string | undefined {
  return new RegExp(`<tr><th>${claim}</th><td>([^<]*)</td></tr>`).exec(html)?.[1];
}

describe('the demo application (npm run demo)', () => {
  let passgate: TestServer;
  let demo: RunningDemo;
  let aliceId: string;

  beforeAll(async () => {
    let port = await freePort();
    while (port === 3001) port = await freePort();
    passgate = await startTestServer({ clients: [demoClient()] });
    const alice = await passgate.addUser('alice', PASSWORD, {
      displayName: 'Alice Liddell',
      email: 'alice@example.test',
      groups: ['staff', 'vpn-users'],
    });
    aliceId = alice.id;
    await passgate.addUser('mallory', PASSWORD, {
      displayName: '<script>alert("x")</script> & Co',
      email: 'mallory@example.test',
      groups: ['<b>admins</b>'],
    });
    demo = await startDemo({
      issuer: passgate.url,
      port,
      clientId: DEMO_CLIENT_ID,
      redirectUri: `http://localhost:${port}/callback`,
    });
  });
  afterAll(async () => {
    await demo?.close();
    await passgate?.close();
  });

  it('signs a user in through Passgate and shows the ID token claims', async () => {
    const { claims } = await signInThroughDemo(demo, 'alice');
    expect(claims.url).toBe(`http://localhost:${demo.port}/claims`);
    expect(claims.status).toBe(200);
    expect(claimCell(claims.body, 'sub')).toBe(aliceId);
    expect(claimCell(claims.body, 'name')).toBe('Alice Liddell');
    expect(claimCell(claims.body, 'email')).toBe('alice@example.test');
    expect(claimCell(claims.body, 'groups')).toBe('staff, vpn-users');
    expect(claimCell(claims.body, 'amr')).toBe('pwd');
  });

  it('shows the claims again when the claims page is reloaded, and only to the browser that signed in', async () => {
    const { browser, claims } = await signInThroughDemo(demo, 'alice');
    const reloaded = await browser.fetch(claims.url);
    expect(reloaded.status).toBe(200);
    expect(reloaded.body).not.toContain('Sign-in expired');
    expect(claimCell(reloaded.body, 'sub')).toBe(aliceId);
    expect(claimCell(reloaded.body, 'name')).toBe('Alice Liddell');
    expect(reloaded.headers.get('cache-control')).toBe('no-store');
    const stranger = await new Browser().fetch(claims.url);
    expect(stranger.status).toBe(401);
    expect(stranger.body).toContain('not signed in');
    expect(claimCell(stranger.body, 'sub')).toBeUndefined();
  });

  it('asks for the code with PKCE S256, a state and a nonce', async () => {
    const start = await new Browser().fetch(`${demo.url}login`);
    expect(start.status).toBe(302);
    const authorize = new URL(start.headers.get('location')!);
    expect(authorize.origin + authorize.pathname).toBe(`${passgate.url}/oidc/auth`);
    const params = Object.fromEntries(authorize.searchParams);
    expect(params).toMatchObject({
      client_id: DEMO_CLIENT_ID,
      response_type: 'code',
      redirect_uri: `http://localhost:${demo.port}/callback`,
      code_challenge_method: 'S256',
    });
    expect(params.code_challenge).toMatch(/^[\w-]{43}$/);
    expect(params.state).toMatch(/^[\w-]{20,}$/);
    expect(params.nonce).toMatch(/^[\w-]{20,}$/);
    expect(params.scope?.split(' ')).toEqual(
      expect.arrayContaining(['openid', 'profile', 'email', 'groups']),
    );
    const cookie = start.headers.getSetCookie().join('\n');
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
  });

  it('escapes claim values in the page', async () => {
    const { claims } = await signInThroughDemo(demo, 'mallory');
    expect(claims.status).toBe(200);
    expect(claims.body).not.toContain('<script>');
    expect(claims.body).not.toContain('<b>admins');
    expect(claimCell(claims.body, 'name')).toBe('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co');
    expect(claimCell(claims.body, 'groups')).toBe('&lt;b&gt;admins&lt;/b&gt;');
  });

  it('refuses a callback without a sign-in started in the same browser', async () => {
    // A code obtained by someone else's browser cannot be injected into this one.
    const { browser } = await signInThroughDemo(demo, 'alice');
    const start = await browser.fetch(`${demo.url}login`);
    const toCallback = (target: string) => target.startsWith(`${demo.url}callback`);
    // A native client: even with a Passgate session the user signs in again (RFC 8252 section 8.6).
    const { last: login, location: direct } = await browser.follow(
      start.headers.get('location')!,
      {},
      toCallback,
    );
    expect(direct).toBeUndefined();
    expect(login.body).toContain('name="password"');
    const { location } = await browser.follow(
      formAction(login.body, login.url),
      { form: { _csrf: formField(login.body, '_csrf') ?? '', username: 'alice', password: PASSWORD } },
      toCallback,
    );
    expect(location).toContain('code=');
    const stranger = await new Browser().fetch(location!);
    expect(stranger.status).toBe(400);
    expect(stranger.body).toContain('No sign-in is in progress');
  });

  it('refuses a callback whose state does not match', async () => {
    const browser = new Browser();
    const start = await browser.fetch(`${demo.url}login`);
    const authorize = new URL(start.headers.get('location')!);
    const forged = `${demo.url}callback?code=abc&state=not-${authorize.searchParams.get('state')}&iss=${encodeURIComponent(passgate.url)}`;
    const page = await browser.fetch(forged);
    expect(page.status).toBe(400);
    expect(page.body).toContain('Sign-in failed');
    expect(page.body).toMatch(/state/i);
  });

  it('signs out through the end-session endpoint and returns to the home page', async () => {
    const { browser, claims } = await signInThroughDemo(demo, 'alice');
    const leave = await browser.fetch(linkTo(claims, 'Sign out'));
    expect(leave.status).toBe(303);
    // Out of the demo at once: its claims page no longer shows anything.
    expect((await browser.fetch(claims.url)).status).toBe(401);
    const signOut = new URL(leave.headers.get('location')!);
    expect(signOut.origin + signOut.pathname).toBe(`${passgate.url}/oidc/session/end`);
    expect(signOut.searchParams.get('post_logout_redirect_uri')).toBe(demo.url);
    expect(signOut.searchParams.get('id_token_hint')).toBeTruthy();
    const { last: confirm } = await browser.follow(signOut.toString());
    expect(confirm.body).toContain('Do you want to sign out of Passgate?');
    const { location } = await browser.follow(
      formAction(confirm.body, confirm.url),
      { form: { xsrf: formField(confirm.body, 'xsrf') ?? '', logout: 'yes' } },
      (target) => target.startsWith(demo.url),
    );
    expect(location).toBe(demo.url);
    // Signed out of Passgate: the next sign-in through the demo shows the login form again.
    const home = await browser.fetch(demo.url);
    const { last } = await browser.follow(linkTo(home, 'Sign in with Passgate'));
    expect(last.body).toContain('name="password"');
  });

  it('talks plain http to Passgate wherever it runs (the demo is for trying Passgate out)', () => {
    expect(allowsInsecureRequests(new URL('http://localhost:3000'))).toBe(true);
    expect(allowsInsecureRequests(new URL('http://10.0.0.5:3312'))).toBe(true);
    expect(allowsInsecureRequests(new URL('https://localhost:3000'))).toBe(false);
  });

  it('fails to start with a clear reason when Passgate is not reachable', async () => {
    const closed = await freePort();
    await expect(
      startDemo({
        issuer: `http://127.0.0.1:${closed}`,
        port: 0,
        clientId: DEMO_CLIENT_ID,
        redirectUri: 'http://localhost:3001/callback',
      }),
    ).rejects.toThrow(IssuerUnreachableError);
  });

  it('tells the user to run npm start first when `npm run demo` cannot reach Passgate', async () => {
    const [closed, port] = [await freePort(), await freePort()];
    const child = spawn(process.execPath, ['bin/demo.js'], {
      cwd: ROOT,
      env: { ...process.env, PASSGATE_PUBLIC_URL: `http://127.0.0.1:${closed}`, DEMO_PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(1);
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`http://127.0.0.1:${closed}`);
    expect(lines[0]).toContain('npm start');
  });
});
