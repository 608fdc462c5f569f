import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, type PolicyServer } from '../policy/support.js';
import { SamlSignIn, startSamlServer } from '../saml/sso-support.js';
import { Browser, formField } from '../support/browser.js';
import { runCli, writeConfig } from '../support/cli.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { SelfServiceBrowser } from './support.js';

/** The `data-session` ids listed on a Sessions page, and which one is marked current. */
function listed(body: string): { ids: string[]; current: string | undefined } {
  const ids = [...body.matchAll(/<li data-session="([^"]+)"/g)].map((m) => m[1]!);
  const current = /<li data-session="([^"]+)" data-current="true"/.exec(body)?.[1];
  return { ids, current };
}

describe('sessions people can see and end (PostgreSQL, two server processes, the CLI)', () => {
  const masterKey = randomBytes(32).toString('base64');
  let server: PolicyServer;
  /** A second server process on the same PostgreSQL database and master key. */
  let other: TestServer;
  let cli: (args: string[]) => ReturnType<typeof runCli>;

  beforeAll(async () => {
    server = await startSamlServer({ secrets: { masterKey } }, 'postgres');
    other = await startTestServer({
      databaseUrl: server.config.database.url,
      config: { secrets: { masterKey } },
      clock: server.clock,
    });
    for (const name of ['sam', 'uma']) await server.addUser(name, PASSWORD);
    const { file } = writeConfig({ database: { url: server.config.database.url }, secrets: { masterKey } });
    cli = (args) => runCli([...args, '--config', file]);
  }, 120_000);
  afterAll(async () => {
    await other?.close();
    await server?.close();
  });

  /**
   * A browser signed in to Salesforce (SAML) and then to the self-service site, in one single
   * sign-on session; and a copy of its cookies in another client, as an attacker would take them.
   */
  async function signedIn(username: string) {
    const browser = new Browser();
    const saml = await new SamlSignIn(server, browser).idpInit('salesforce');
    await saml.password(username);
    expect(saml.posted.samlResponse).toBeTruthy();
    const ss = new SelfServiceBrowser(server, browser);
    await ss.signIn(username);
    expect(ss.atHome).toBe(true);
    const cookies = await browser.jar.getCookies(`${server.url}/selfservice`);
    const copy = new Browser({ cookie: cookies.map((c) => `${c.key}=${c.value}`).join('; ') });
    const session = cookies.find((c) => c.key === 'passgate.session')!.value;
    const [row] = await server.core.repositories.sessions.live(
      server.clock(),
      { idleMs: 3_600_000 },
      {
        userId: (await server.core.users.findByUsername(username))!.id,
        limit: 1,
      },
    );
    return { ss, copy, id: row!.id, cookie: session };
  }

  const home = (client: Browser, url: string) => client.fetch(`${url}/selfservice`);

  it('lists the sessions with their applications, this browser marked; the CLI lists and revokes them on every server', async () => {
    const first = await signedIn('sam');
    const second = await signedIn('sam');
    expect(first.id).not.toBe(second.id);

    await first.ss.open('/selfservice/sessions');
    expect(first.ss.page.status).toBe(200);
    expect(listed(first.ss.page.body)).toEqual({ ids: [second.id, first.id], current: first.id });
    expect(first.ss.page.body).toContain('<span class="applications">salesforce</span>');
    expect(first.ss.page.body).toContain('This browser');

    const list = await cli(['session', 'list', 'sam', '--json']);
    expect(list.stderr).toBe('');
    const sessions = JSON.parse(list.stdout) as Array<{
      id: string;
      username: string;
      applications: unknown[];
    }>;
    expect(sessions.map((s) => s.id)).toEqual([second.id, first.id]);
    expect(sessions[0]).toMatchObject({
      username: 'sam',
      applications: [{ door: 'saml', application: 'salesforce' }],
    });
    expect(JSON.stringify(sessions)).not.toContain(first.cookie); // never the cookie's value

    // Both copies work on the other process while the sessions live.
    expect((await home(second.copy, other.url)).status).toBe(200);
    const revoked = await cli(['session', 'revoke', second.id]);
    expect(revoked).toMatchObject({ code: 0, stdout: `Ended session ${second.id}.\n` });
    // The next request on the other process refuses it: the store is the truth.
    const refused = await home(second.copy, other.url);
    expect(refused.status).toBe(303);
    expect(refused.headers.get('location')).toMatch(/^\/login\/ss-/);
    expect((await home(second.ss.browser, server.url)).status).toBe(303);
    expect((await home(first.copy, other.url)).status).toBe(200); // the other session goes on

    const audit = await server.core.audit.recent({ type: 'session.revoke', limit: 5 });
    expect(audit[0]).toMatchObject({ reason: 'revoked', details: { sessions: [second.id] } });
    expect((audit[0]!.details as { by: string }).by).toMatch(/^cli/);
  }, 180_000);

  it('signs out one session, refuses a session that is not the user’s, and signs out everywhere', async () => {
    const mine = await signedIn('sam');
    const elsewhere = await signedIn('sam');
    const foreign = await signedIn('uma');

    await mine.ss.open('/selfservice/sessions');
    await mine.ss.post(`/selfservice/sessions/${elsewhere.id}/signout`);
    expect(new URL(mine.ss.page.url).pathname).toBe('/selfservice/sessions');
    expect(mine.ss.page.body).toContain('id="done"');
    expect(listed(mine.ss.page.body).ids).not.toContain(elsewhere.id);
    expect((await home(elsewhere.copy, other.url)).status).toBe(303);

    await mine.ss.post(`/selfservice/sessions/${foreign.id}/signout`);
    expect(mine.ss.page.status).toBe(404);
    expect(mine.ss.page.body).toContain('This session has already ended or is not yours.');
    expect((await home(foreign.copy, other.url)).status).toBe(200); // uma's session is untouched

    const survivor = await signedIn('sam');
    await mine.ss.open('/selfservice/sessions');
    await mine.ss.post('/selfservice/sessions/signout-all');
    expect(new URL(mine.ss.page.url).pathname).toBe('/selfservice/signed-out');
    for (const copy of [mine.copy, survivor.copy]) {
      expect((await home(copy, other.url)).status).toBe(303);
      expect((await home(copy, server.url)).status).toBe(303);
    }
    const sam = await server.core.users.findByUsername('sam');
    expect(
      await server.core.repositories.sessions.liveOfUser(sam!.id, server.clock(), { idleMs: 3_600_000 }),
    ).toEqual([]);
  }, 180_000);

  it('a sign-out ends the single sign-on session: a copy of its cookies is refused on every process', async () => {
    const { ss, copy, id } = await signedIn('sam');
    // The session holds a SAML application: the sign-out POST is taken on to its single logout
    // chain (Salesforce has no SLO endpoint, so the chain ends at the signed-out page).
    const csrf = formField(ss.page.body, '_csrf')!;
    const signout = await ss.browser.fetch(`${server.url}/selfservice/signout`, { form: { _csrf: csrf } });
    expect(signout.status).toBe(307);
    expect(signout.headers.get('location')).toBe('/saml/logout');
    const page = await ss.browser.fetch(`${server.url}/saml/logout`, {
      form: { _csrf: csrf },
      headers: { origin: new URL(server.url).origin },
    });
    expect(page.status).toBe(200);
    expect(page.body).toContain('You have been signed out.');
    expect((await home(copy, other.url)).status).toBe(303);
    expect(await server.core.repositories.sessions.findById(id)).toMatchObject({ revoked_reason: 'logout' });
    // The browser's single sign-on cookie is dropped too.
    const left = await ss.browser.jar.getCookies(`${server.url}/`);
    expect(left.find((c) => c.key === 'passgate.session')).toBeUndefined();
  }, 120_000);

  it('an administrator disabling a user ends their sessions on every process', async () => {
    const { copy, id } = await signedIn('uma');
    const disabled = await cli(['user', 'disable', 'uma']);
    expect(disabled).toMatchObject({ code: 0, stdout: 'User uma is disabled. Ended 2 sessions.\n' });
    expect(await server.core.repositories.sessions.findById(id)).toMatchObject({
      revoked_reason: 'user_disabled',
    });
    expect((await home(copy, other.url)).status).toBe(303);
  }, 120_000);
});
