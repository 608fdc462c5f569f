import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PolicyServer, startPolicyServer } from '../policy/support.js';
import { Browser, formField } from '../support/browser.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { SelfServiceBrowser } from './support.js';

const MINUTE = 60_000;

describe('self-service sign-out ends the session, also for a copy of its cookie', () => {
  const masterKey = randomBytes(32).toString('base64');
  let server: PolicyServer;
  /** A second server process on the same PostgreSQL database and master key. */
  let other: TestServer;
  beforeAll(async () => {
    server = await startPolicyServer({ backend: 'postgres', config: { secrets: { masterKey } } });
    other = await startTestServer({
      databaseUrl: server.config.database.url,
      config: { secrets: { masterKey } },
      clock: server.clock,
    });
  });
  afterAll(async () => {
    await other?.close();
    await server?.close();
  });

  /** A signed-in browser, and a copy of its session cookie (as an attacker would take it). */
  async function signedInWithCopy(username: string) {
    if (!(await server.core.users.findByUsername(username))) await server.addTotpUser(username);
    const ss = new SelfServiceBrowser(server);
    await ss.signIn(username, () => server.totp());
    expect(ss.atHome).toBe(true);
    const session = (await ss.browser.jar.getCookies(`${server.url}/selfservice`)).find(
      (c) => c.key === 'passgate.selfservice',
    )!;
    const csrf = (await ss.browser.jar.getCookies(`${server.url}/selfservice`)).find((c) =>
      c.key.includes('csrf'),
    )!;
    const copy = new Browser({ cookie: `passgate.selfservice=${session.value}; ${csrf.key}=${csrf.value}` });
    return { ss, copy, csrfToken: formField(ss.page.body, '_csrf')! };
  }

  it('refuses the copied cookie after sign-out, on this server process and on another one', async () => {
    const { ss, copy, csrfToken } = await signedInWithCopy('nina');
    const before = await copy.fetch(`${server.url}/selfservice`);
    expect(before.status).toBe(200); // the copy works while the session lives

    await ss.post('/selfservice/signout');
    expect(new URL(ss.page.url).pathname).toBe('/selfservice/signed-out');

    const home = await copy.fetch(`${server.url}/selfservice`);
    expect(home.status).toBe(303);
    expect(home.headers.get('location')).toMatch(/^\/login\/ss-/);
    expect(home.body).not.toContain('id="tokens-title"');
    const elsewhere = await copy.fetch(`${other.url}/selfservice`);
    expect(elsewhere.status).toBe(303);
    const enrol = await copy.fetch(`${server.url}/selfservice/enrol`, {
      form: { _csrf: csrfToken, profile: 'default' },
    });
    expect(enrol.status).toBe(403); // its CSRF token was bound to the revoked session
    const nina = await server.core.users.findByUsername('nina');
    expect(await server.core.tokens.listByUser(nina!.id)).toHaveLength(1); // nothing enrolled
    const audit = await server.core.audit.recent({ type: 'selfservice.signout', limit: 5 });
    expect(audit.filter((e) => e.username === 'nina')).toHaveLength(1);
  });

  it('ends other sessions of the user only when they sign out themselves', async () => {
    const first = await signedInWithCopy('otto');
    const second = await signedInWithCopy('otto');
    await first.ss.post('/selfservice/signout');
    expect((await second.copy.fetch(`${server.url}/selfservice`)).status).toBe(200);
    expect((await first.copy.fetch(`${server.url}/selfservice`)).status).toBe(303);
  });

  it('ends the session a step-up replaces: a copy of the old cookie stops working', async () => {
    const { ss, copy } = await signedInWithCopy('quinn');
    await ss.post('/selfservice/step-up');
    await ss.post(ss.formAction(), { action: 'verify', code: server.totp() });
    expect(ss.atHome).toBe(true);
    expect((await copy.fetch(`${server.url}/selfservice`)).status).toBe(303);
    expect((await ss.open('/selfservice')).status).toBe(200);
    expect(ss.atHome).toBe(true);
  });

  it('never renews a copied cookie past the absolute lifetime, however often it is used', async () => {
    const { copy } = await signedInWithCopy('pia');
    const { sessionIdleMinutes: idle, sessionMaxHours: maxHours } = server.config.selfservice;
    const end = server.clock() + maxHours * 60 * MINUTE;
    while (server.clock() + (idle - 1) * MINUTE < end) {
      server.clock.advance((idle - 1) * MINUTE);
      expect((await copy.fetch(`${server.url}/selfservice`)).status).toBe(200);
    }
    server.clock.advance(end - server.clock() + 1);
    const after = await copy.fetch(`${server.url}/selfservice`);
    expect(after.status).toBe(303);
    expect(after.headers.get('location')).toMatch(/^\/login\/ss-/);
  });
});
