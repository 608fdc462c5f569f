import { cpSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { PACKAGE_ROOT } from '../../src/paths.js';
import type { User } from '../../src/store/repositories/users.js';
import { type PolicyServer, SignIn, startPolicyServer } from '../policy/support.js';
import { registerSp } from '../saml/generic-sp.js';
import { authnRequest, SamlSignIn } from '../saml/sso-support.js';
import { decode } from '../saml/support.js';
import { makeSp, metadataOf, REDIRECT, signedLogoutRequestUrl, type TestSp } from '../saml/test-sps.js';
import { SelfServiceBrowser } from '../selfservice/support.js';
import { Browser, formField } from '../support/browser.js';
import { runCli } from '../support/cli.js';
import { LogoutReceiver, verifyLogoutToken } from '../support/logout-receiver.js';
import { TEST_CLIENT } from '../support/server.js';

const LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

describe('OIDC logout to clients when the Passgate session ends (back channel, front channel)', () => {
  let passgate: PolicyServer;
  let receiver: LogoutReceiver;
  let sp: TestSp;
  let idpMetadata: string;
  let tina: User;
  let sequence = 0;

  beforeAll(async () => {
    receiver = await new LogoutReceiver().start();
    const app = {
      ...TEST_CLIENT,
      client_id: 'app',
      backchannel_logout_uri: `${receiver.url}/backchannel`,
      backchannel_logout_session_required: true,
      frontchannel_logout_uri: `${receiver.url}/frontchannel`,
      frontchannel_logout_session_required: true,
    };
    const slow = { ...TEST_CLIENT, client_id: 'slow', backchannel_logout_uri: `${receiver.url}/hang` };
    passgate = await startPolicyServer({
      clients: [app, slow],
      config: { oidc: { backChannelLogout: { timeoutSeconds: 1, attempts: 2 } } },
    });
    cpSync(path.join(PACKAGE_ROOT, 'metadata', 'saml'), path.join(passgate.dataDir, 'metadata', 'saml'), {
      recursive: true,
    });
    sp = await makeSp('alpha', REDIRECT);
    await registerSp(passgate, sp.name, metadataOf(sp));
    idpMetadata = await (await fetch(`${passgate.url}/saml/metadata`)).text();
    tina = await passgate.addTotpUser('tina', { email: 'tina@example.com' });
  }, 60_000);
  afterAll(async () => {
    await passgate?.close();
    await receiver?.close();
  });

  /** Signs a new browser in to `clientId` with password and TOTP; the ID token's claims and the raw token. */
  async function oidcSignIn(clientId: string, browser = new Browser(), username = 'tina') {
    const signIn = await SignIn.start(await passgate.rp(clientId), browser);
    if (signIn.asksPassword) await signIn.password(username);
    if (signIn.asksSecondFactor) await signIn.code(passgate.totp());
    const claims = await signIn.claims();
    return { browser, claims };
  }

  const latestSession = async () =>
    (await passgate.core.audit.recent({ type: 'session.start', userId: tina.id, limit: 1 }))[0]!.details
      .session as string;

  /** A configuration file for the CLI on the server's database, naming its public URL (the Logout Tokens' issuer). */
  function cliConfig(): string {
    const file = path.join(passgate.dataDir, 'cli.yaml');
    writeFileSync(
      file,
      stringify({
        dataDir: passgate.dataDir,
        metadataDir: path.join(passgate.dataDir, 'metadata'),
        database: { url: passgate.config.database.url },
        server: { publicUrl: passgate.url },
      }),
    );
    return file;
  }

  /** RP-initiated logout in `browser`: the confirmation page, then "yes". The confirm answer and how long it took. */
  async function rpInitiatedLogout(browser: Browser) {
    const ask = await browser.fetch(`${passgate.url}/oidc/session/end`);
    expect(ask.status).toBe(200);
    const started = Date.now();
    const confirmed = await browser.fetch(`${passgate.url}/oidc/session/end/confirm`, {
      form: { xsrf: formField(ask.body, 'xsrf')!, logout: 'yes' },
    });
    return { confirmed, ms: Date.now() - started };
  }

  it('RP-initiated logout sends the client a signed Logout Token (iss, aud, iat, jti, sub, the sid of its ID token, the event, no nonce) and loads its front-channel URI', async () => {
    const { browser, claims } = await oidcSignIn('app');
    expect(claims.sid).toMatch(/^[\w-]+$/);
    const before = receiver.received.tokens.length;
    const { confirmed } = await rpInitiatedLogout(browser);

    // The signing-out page frames the client's front-channel URI with iss and sid, then goes on.
    expect(confirmed.status).toBe(200);
    const frame = /<iframe src="([^"]+)"/.exec(confirmed.body)?.[1]?.replaceAll('&amp;', '&');
    const front = new URL(frame!);
    expect(`${front.origin}${front.pathname}`).toBe(`${receiver.url}/frontchannel`);
    expect(front.searchParams.get('iss')).toBe(passgate.url);
    expect(front.searchParams.get('sid')).toBe(claims.sid);
    expect(confirmed.headers.get('content-security-policy')).toContain(`frame-src 'self' ${receiver.url}`);
    expect(confirmed.body).toContain(`href="${passgate.url}/oidc/session/end/success"`);

    const [token] = (await receiver.tokens(before + 1)).slice(before);
    const verified = await verifyLogoutToken(token!, passgate.url, 'app');
    expect(verified).toMatchObject({ iss: passgate.url, aud: 'app', sub: tina.id, sid: claims.sid });
    expect(verified.events).toEqual({ [LOGOUT_EVENT]: {} });
    expect(verified.jti).toMatch(/^[\w-]{20,}$/);
    expect(Math.abs(verified.iat! - passgate.clock() / 1000)).toBeLessThan(5);
    expect(verified).not.toHaveProperty('nonce');
    // Another client's audience does not verify.
    await expect(verifyLogoutToken(token!, passgate.url, 'slow')).rejects.toThrow();

    const [delivered] = await passgate.core.audit.recent({ type: 'oidc.logout.backchannel', limit: 1 });
    expect(delivered).toMatchObject({ outcome: 'success', details: { client: 'app', attempts: 1 } });
  });

  it('a logout started by a SAML SP reaches the OIDC client of the same session (Logout Token, front-channel frame)', async () => {
    const browser = new Browser();
    const flow = await new SamlSignIn(passgate, browser).post(
      authnRequest({ id: `_ol${++sequence}`, issuer: sp.entityId, destination: `${passgate.url}/saml/sso` }),
    );
    await flow.password('tina');
    await flow.code(passgate.totp());
    const response = decode(flow.posted.samlResponse);
    const nameId = /<(?:\w+:)?NameID\b[^>]*>([^<]+)</.exec(response)![1]!;
    const sessionIndex = /SessionIndex="([^"]+)"/.exec(response)![1]!;
    // The OIDC client without any prompt, from the SAML sign-in's session.
    const oidc = await SignIn.start(await passgate.rp('app'), browser);
    expect(oidc.asksPassword).toBe(false);
    const claims = await oidc.claims();
    const session = await latestSession();
    const before = receiver.received.tokens.length;

    const { id, url } = signedLogoutRequestUrl(passgate.url, idpMetadata, sp, { nameId, sessionIndex }, 'rs');
    const answer = await new Browser().fetch(url);
    // The LogoutResponse goes back to the SP after a page that frames the client's front-channel URI.
    expect(answer.status).toBe(200);
    expect(answer.body).toContain(`${receiver.url}/frontchannel?iss=`);
    const next = /href="([^"]+)" data-next/.exec(answer.body)![1]!.replaceAll('&amp;', '&');
    expect(next.startsWith(`${sp.entityId}/slo?SAMLResponse=`)).toBe(true);
    const xml = inflateRawSync(
      Buffer.from(new URL(next).searchParams.get('SAMLResponse')!, 'base64'),
    ).toString('utf8');
    expect(xml).toContain(`InResponseTo="${id}"`);
    // The OIDC client was told (back channel): no PartialLogout.
    expect(xml).not.toContain('PartialLogout');

    const [token] = (await receiver.tokens(before + 1)).slice(before);
    expect(await verifyLogoutToken(token!, passgate.url, 'app')).toMatchObject({
      sid: claims.sid,
      sub: tina.id,
    });
    const [logout] = await passgate.core.audit.recent({ type: 'session.logout', limit: 1 });
    expect(logout?.details).toMatchObject({
      session,
      initiator: 'saml:alpha',
      reached: ['saml:alpha', 'oidc:app'],
      skipped: [],
    });
  });

  it('a session revoked with `passgate session revoke` reaches the client from the CLI process', async () => {
    const { claims } = await oidcSignIn('app');
    const session = await latestSession();
    const before = receiver.received.tokens.length;
    const run = await runCli(['session', 'revoke', session, '--config', cliConfig()]);
    expect(run).toMatchObject({ code: 0, stdout: `Ended session ${session}.\n` });
    // The CLI delivered before it exited.
    expect(receiver.received.tokens.length).toBe(before + 1);
    const token = receiver.received.tokens[before]!;
    expect(await verifyLogoutToken(token, passgate.url, 'app')).toMatchObject({
      sid: claims.sid,
      sub: tina.id,
    });
  });

  it('a user disabled with `passgate user disable` loses the session, and the client gets its Logout Token from the CLI process', async () => {
    const dana = await passgate.addTotpUser('dana');
    const { browser, claims } = await oidcSignIn('app', new Browser(), 'dana');
    const [session] = await passgate.core.audit.recent({ type: 'session.start', userId: dana.id, limit: 1 });
    const sessionId = session!.details.session as string;
    const before = receiver.received.tokens.length;
    const run = await runCli(['user', 'disable', 'dana', '--config', cliConfig()]);
    expect(run).toMatchObject({ code: 0, stdout: 'User dana is disabled. Ended 1 session.\n' });
    // The CLI delivered before it exited: verified as the client does (jose, the JWKS).
    expect(receiver.received.tokens.length).toBe(before + 1);
    expect(await verifyLogoutToken(receiver.received.tokens[before]!, passgate.url, 'app')).toMatchObject({
      sid: claims.sid,
      sub: dana.id,
    });
    expect(await passgate.core.repositories.sessions.findById(sessionId)).toMatchObject({
      revoked_reason: 'user_disabled',
    });
    // The browser's session is over: no silent sign-in (the user is disabled besides).
    const silent = await SignIn.start(await passgate.rp('app'), browser, { prompt: 'none' });
    expect(new URL(silent.callback!).searchParams.get('error')).toBe('login_required');
  });

  it('an unreachable back-channel URI does not delay the logout; the failure is audited after its bounded tries', async () => {
    const { browser } = await oidcSignIn('slow');
    const { confirmed, ms } = await rpInitiatedLogout(browser);
    expect(confirmed.status).toBe(303);
    expect(ms).toBeLessThan(1000);
    const deadline = Date.now() + 8000;
    let failed: Awaited<ReturnType<typeof passgate.core.audit.recent>>[number] | undefined;
    while (!failed && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      [failed] = (await passgate.core.audit.recent({ type: 'oidc.logout.backchannel', limit: 5 })).filter(
        (e) => e.details.client === 'slow',
      );
    }
    expect(failed).toMatchObject({ outcome: 'failure', details: { attempts: 2, problem: 'timed out' } });
  });

  /** A self-service browser signed in (password and TOTP) on its Sessions page. */
  async function sessionsPage(browser = new Browser()) {
    const ss = new SelfServiceBrowser(passgate, browser);
    await ss.signIn('tina', () => passgate.totp());
    expect(ss.atHome).toBe(true);
    await ss.open('/selfservice/sessions');
    return ss;
  }

  it("'Sign out' of another browser's session on the Sessions page ends it and tells its OIDC client by back channel; its SAML SPs are listed as skipped", async () => {
    const elsewhere = new Browser();
    const flow = await new SamlSignIn(passgate, elsewhere).post(
      authnRequest({ id: `_ol${++sequence}`, issuer: sp.entityId, destination: `${passgate.url}/saml/sso` }),
    );
    await flow.password('tina');
    await flow.code(passgate.totp());
    const oidc = await SignIn.start(await passgate.rp('app'), elsewhere);
    const claims = await oidc.claims();
    const other = await latestSession();

    const ss = await sessionsPage();
    expect(ss.page.body).toContain(`data-session="${other}"`);
    const before = receiver.received.tokens.length;
    await ss.post(`/selfservice/sessions/${other}/signout`);
    expect(new URL(ss.page.url).pathname).toBe('/selfservice/sessions');
    expect(ss.page.body).not.toContain(`data-session="${other}"`);

    const [token] = (await receiver.tokens(before + 1)).slice(before);
    expect(await verifyLogoutToken(token!, passgate.url, 'app')).toMatchObject({ sid: claims.sid });
    expect(await passgate.core.repositories.sessions.findById(other)).toMatchObject({
      revoked_reason: 'logout',
    });
    const [logout] = await passgate.core.audit.recent({ type: 'session.logout', limit: 1 });
    expect(logout?.details).toMatchObject({
      session: other,
      initiator: 'selfservice',
      reached: ['oidc:app'],
      skipped: ['saml:alpha'],
    });
  });

  it("'Sign out' of this browser's own session on the Sessions page runs the single logout: the front-channel frame, the Logout Token", async () => {
    const browser = new Browser();
    const { claims } = await oidcSignIn('app', browser);
    const ss = await sessionsPage(browser);
    const own = /<li data-session="([^"]+)" data-current="true"/.exec(ss.page.body)![1]!;
    const before = receiver.received.tokens.length;
    const csrf = formField(ss.page.body, '_csrf')!;
    const signout = await browser.fetch(`${passgate.url}/selfservice/sessions/${own}/signout`, {
      form: { _csrf: csrf },
    });
    expect(signout.status).toBe(307);
    expect(signout.headers.get('location')).toBe('/saml/logout');
    const page = await browser.fetch(`${passgate.url}/saml/logout`, {
      form: { _csrf: csrf },
      headers: { origin: new URL(passgate.url).origin },
    });
    expect(page.status).toBe(200);
    expect(page.body).toContain('data-signed-out');
    expect(page.body.replaceAll('&amp;', '&')).toContain(
      `${receiver.url}/frontchannel?iss=${encodeURIComponent(passgate.url)}&sid=${claims.sid}`,
    );
    const [token] = (await receiver.tokens(before + 1)).slice(before);
    expect(await verifyLogoutToken(token!, passgate.url, 'app')).toMatchObject({ sid: claims.sid });
    expect(await passgate.core.repositories.sessions.findById(own)).toMatchObject({
      revoked_reason: 'logout',
    });
  });

  it('refuses a client file whose logout URI is not a URL, and keeps the others', async () => {
    writeFileSync(
      path.join(passgate.dataDir, 'metadata', 'oidc', 'broken.yaml'),
      stringify({ ...TEST_CLIENT, client_id: 'broken', backchannel_logout_uri: 'not a url' }),
    );
    await passgate.server.reload();
    expect(passgate.logs.some((l) => l.includes('backchannel_logout_uri must be an absolute URL'))).toBe(
      true,
    );
    const discovery = (await (
      await fetch(`${passgate.url}/.well-known/openid-configuration`)
    ).json()) as Record<string, unknown>;
    expect(discovery).toMatchObject({
      backchannel_logout_supported: true,
      frontchannel_logout_session_supported: true,
    });
  });
});
