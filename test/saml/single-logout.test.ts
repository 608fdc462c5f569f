import { inflateRawSync } from 'node:zlib';
import { SAML } from '@node-saml/node-saml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PolicyServer } from '../policy/support.js';
import { SelfServiceBrowser } from '../selfservice/support.js';
import { Browser, type Exchange, formField } from '../support/browser.js';
import { idpCertificate, registerSp } from './generic-sp.js';
import { authnRequest, SamlSignIn, startSamlServer } from './sso-support.js';
import { decode, xmlsecVerifyMessage } from './support.js';
import { makeSp, metadataOf, POST, REDIRECT, signedLogoutRequestUrl, type TestSp } from './test-sps.js';

const SESSION_COOKIE = 'passgate.session';

const attribute = (xml: string, element: string, name: string) =>
  new RegExp(`<(?:\\w+:)?${element}\\b[^>]*\\b${name}="([^"]+)"`).exec(xml)?.[1];
const text = (xml: string, element: string) =>
  new RegExp(`<(?:\\w+:)?${element}\\b[^>]*>([^<]+)<`).exec(xml)?.[1];

describe('SAML single logout across the SPs of a session (front channel)', () => {
  let passgate: PolicyServer;
  let idpCert: string;
  let idpMetadata: string;
  let alpha: TestSp;
  let beta: TestSp;
  let gamma: TestSp;
  let delta: TestSp;
  let counter = 0;

  beforeAll(async () => {
    passgate = await startSamlServer();
    [alpha, beta, gamma, delta] = await Promise.all([
      makeSp('alpha', REDIRECT),
      makeSp('beta', REDIRECT),
      makeSp('gamma', POST),
      makeSp('delta'),
    ]);
    for (const sp of [alpha, beta, gamma, delta]) await registerSp(passgate, sp.name, metadataOf(sp));
    await passgate.addUser('paul', 'correct horse battery', { email: 'paul@example.com' });
    idpCert = await idpCertificate(passgate);
    idpMetadata = await (await fetch(`${passgate.url}/saml/metadata`)).text();
  }, 60_000);
  afterAll(() => passgate?.close());

  /** node-saml as the SP: checks what Passgate sends it, signs its LogoutResponses. */
  const nodeSaml = (sp: TestSp) =>
    new SAML({
      issuer: sp.entityId,
      audience: sp.entityId,
      callbackUrl: `${sp.entityId}/acs`,
      idpCert,
      idpIssuer: `${passgate.url}/saml/metadata`,
      entryPoint: `${passgate.url}/saml/sso`,
      logoutUrl: `${passgate.url}/saml/slo`,
      privateKey: sp.privateKey,
      signatureAlgorithm: 'sha256',
      wantAssertionsSigned: false,
      wantAuthnResponseSigned: true,
      validateInResponseTo: 'never' as never,
    });

  /** Signs `browser` in to each SP in turn (the password when asked); NameID and SessionIndex per SP. */
  async function signInAll(browser: Browser, sps: TestSp[]) {
    const stated = new Map<string, { nameId: string; sessionIndex: string }>();
    for (const sp of sps) {
      const xml = authnRequest({
        id: `_slo${++counter}`,
        issuer: sp.entityId,
        destination: `${passgate.url}/saml/sso`,
      });
      const flow = await new SamlSignIn(passgate, browser).post(xml);
      if (flow.page.body.includes('name="password"')) await flow.password('paul');
      if (flow.page.body.includes('name="code"')) await flow.code(passgate.totp());
      const response = decode(flow.posted.samlResponse);
      stated.set(sp.name, {
        nameId: text(response, 'NameID')!,
        sessionIndex: attribute(response, 'AuthnStatement', 'SessionIndex')!,
      });
    }
    return stated;
  }

  /** The signed Redirect LogoutRequest `sp` sends Passgate for this NameID and SessionIndex. */
  const logoutRequestUrl = (
    sp: TestSp,
    stated: { nameId: string; sessionIndex: string },
    relayState: string,
  ) => signedLogoutRequestUrl(passgate.url, idpMetadata, sp, stated, relayState);

  /**
   * Plays the SP the browser was just sent to: node-saml validates Passgate's LogoutRequest
   * (Redirect: its query signature; POST: xmlsec1 verifies the XML signature too) and answers Success, which the browser
   * takes back to Passgate. The request's XML, and Passgate's next page.
   */
  async function actAsSp(browser: Browser, page: Exchange, sp: TestSp) {
    const saml = nodeSaml(sp);
    let xml: string;
    let profile: Parameters<SAML['getLogoutResponseUrlAsync']>[0];
    let relayState: string;
    if (page.status === 303) {
      const location = page.headers.get('location')!;
      expect(location.startsWith(`${sp.entityId}/slo?SAMLRequest=`)).toBe(true);
      const query = location.slice(location.indexOf('?') + 1);
      const params = Object.fromEntries(new URLSearchParams(query));
      xml = inflateRawSync(Buffer.from(params.SAMLRequest!, 'base64')).toString('utf8');
      const result = await saml.validateRedirectAsync(params, query);
      expect(result.loggedOut).toBe(true);
      profile = result.profile!;
      relayState = params.RelayState!;
    } else {
      expect(page.status).toBe(200);
      expect(page.body).toContain(`action="${sp.entityId}/slo"`);
      const samlRequest = formField(page.body, 'SAMLRequest')!;
      xml = Buffer.from(samlRequest, 'base64').toString('utf8');
      xmlsecVerifyMessage(xml, idpCert, 'LogoutRequest');
      relayState = formField(page.body, 'RelayState')!;
      const result = await saml.validatePostRequestAsync({
        SAMLRequest: samlRequest,
        RelayState: relayState,
      });
      expect(result.loggedOut).toBe(true);
      profile = result.profile!;
    }
    const back = await saml.getLogoutResponseUrlAsync(profile, relayState, {}, true);
    return { xml, next: await browser.fetch(back) };
  }

  it('a logout started by one SP reaches the others, ends the session and answers PartialLogout for an SP without SLO', async () => {
    const browser = new Browser();
    const stated = await signInAll(browser, [alpha, beta, gamma, delta]);
    const cookie = (await browser.jar.getCookies(passgate.url)).find((c) => c.key === SESSION_COOKIE)?.value;
    expect(cookie).toBeTruthy();
    const session = await passgate.core.repositories.sessions.findById(
      (await passgate.core.audit.recent({ type: 'session.start', limit: 1 }))[0]!.details!.session as string,
    );
    expect(session?.revoked_at).toBeNull();

    // alpha's LogoutRequest arrives without the cookie (cross-site): its SessionIndex finds the session.
    const { id, url } = logoutRequestUrl(alpha, stated.get('alpha')!, 'alpha-state');
    let page = await new Browser().fetch(url);
    const seen: string[] = [];
    for (const sp of [beta, gamma]) {
      const { xml, next } = await actAsSp(browser, page, sp);
      expect(text(xml, 'NameID')).toBe(stated.get(sp.name)!.nameId);
      expect(text(xml, 'SessionIndex')).toBe(stated.get(sp.name)!.sessionIndex);
      expect(text(xml, 'Issuer')).toBe(`${passgate.url}/saml/metadata`);
      seen.push(sp.name);
      page = next;
    }
    expect(seen).toEqual(['beta', 'gamma']);

    // Back to alpha: a signed LogoutResponse, Success with PartialLogout (delta has no SLO service).
    expect(page.status).toBe(303);
    const location = page.headers.get('location')!;
    expect(location.startsWith(`${alpha.entityId}/slo?SAMLResponse=`)).toBe(true);
    const query = location.slice(location.indexOf('?') + 1);
    const params = Object.fromEntries(new URLSearchParams(query));
    expect(params.RelayState).toBe('alpha-state');
    const response = inflateRawSync(Buffer.from(params.SAMLResponse!, 'base64')).toString('utf8');
    expect(response).toContain(`InResponseTo="${id}"`);
    expect(response).toContain('urn:oasis:names:tc:SAML:2.0:status:PartialLogout');
    const { loggedOut } = await nodeSaml(alpha).validateRedirectAsync(params, query);
    expect(loggedOut).toBe(true);

    const ended = await passgate.core.repositories.sessions.findById(session!.id);
    expect(ended?.revoked_reason).toBe('logout');
    const [logout] = await passgate.core.audit.recent({ type: 'session.logout', limit: 1 });
    expect(logout?.details).toMatchObject({
      session: session!.id,
      initiator: 'saml:alpha',
      reached: ['saml:alpha', 'saml:beta', 'saml:gamma'],
      failed: [],
      skipped: ['saml:delta'],
    });

    // The old cookie, copied into another browser, signs no one in.
    const copy = new Browser();
    await copy.jar.setCookie(`${SESSION_COOKIE}=${cookie}; Path=/`, passgate.url);
    const again = await new SamlSignIn(passgate, copy).post(
      authnRequest({
        id: `_slo${++counter}`,
        issuer: beta.entityId,
        destination: `${passgate.url}/saml/sso`,
      }),
    );
    expect(again.page.body).toContain('name="password"');
  });

  it('answers Success when every other SP signed out, and reports an SP whose LogoutResponse does not verify as failed', async () => {
    const browser = new Browser();
    const stated = await signInAll(browser, [beta, alpha]);
    const { url } = logoutRequestUrl(beta, stated.get('beta')!, 'b');
    const first = await browser.fetch(url);
    const { next } = await actAsSp(browser, first, alpha);
    const location = next.headers.get('location')!;
    const response = inflateRawSync(
      Buffer.from(new URLSearchParams(location.split('?')[1]).get('SAMLResponse')!, 'base64'),
    ).toString('utf8');
    expect(response).toContain('urn:oasis:names:tc:SAML:2.0:status:Success');
    expect(response).not.toContain('PartialLogout');

    // A second chain: alpha answers with a forged (wrongly signed) response: failed, PartialLogout.
    const other = new Browser();
    const again = await signInAll(other, [beta, alpha]);
    const started = await other.fetch(logoutRequestUrl(beta, again.get('beta')!, 'c').url);
    const forger = { ...alpha, privateKey: (await makeSp('forger')).privateKey };
    const { next: after } = await actAsSp(other, started, forger);
    const partial = inflateRawSync(
      Buffer.from(
        new URLSearchParams(after.headers.get('location')!.split('?')[1]).get('SAMLResponse')!,
        'base64',
      ),
    ).toString('utf8');
    expect(partial).toContain('PartialLogout');
    const [logout] = await passgate.core.audit.recent({ type: 'session.logout', limit: 1 });
    expect(logout?.details).toMatchObject({ reached: ['saml:beta'], failed: ['saml:alpha'], skipped: [] });
  });

  it('a logout started at Passgate (POST /saml/logout) runs the same chain and shows the signed-out page', async () => {
    const browser = new Browser();
    const stated = await signInAll(browser, [beta, gamma]);
    const foreign = await browser.fetch(`${passgate.url}/saml/logout`, {
      method: 'POST',
      form: {},
      headers: { origin: 'https://evil.example.com' },
    });
    expect(foreign.status).toBe(400);

    let page = await browser.fetch(`${passgate.url}/saml/logout`, {
      method: 'POST',
      form: {},
      headers: { origin: new URL(passgate.url).origin },
    });
    for (const sp of [beta, gamma]) {
      const { xml, next } = await actAsSp(browser, page, sp);
      expect(text(xml, 'SessionIndex')).toBe(stated.get(sp.name)!.sessionIndex);
      page = next;
    }
    expect(page.status).toBe(200);
    expect(page.body).toContain('You have been signed out.');
    const [logout] = await passgate.core.audit.recent({ type: 'session.logout', limit: 1 });
    expect(logout?.details).toMatchObject({
      initiator: 'passgate',
      reached: ['saml:beta', 'saml:gamma'],
      failed: [],
      skipped: [],
    });
    const ended = await passgate.core.repositories.sessions.findById(logout!.details!.session as string);
    expect(ended?.revoked_reason).toBe('logout');
  });

  it('signing out of the self-service site runs the chain to the SAML SPs of the session, then the session is refused', async () => {
    const browser = new Browser();
    const stated = await signInAll(browser, [beta, gamma]);
    const ss = new SelfServiceBrowser(passgate, browser);
    await ss.signIn('paul', () => passgate.totp());
    expect(ss.atHome).toBe(true);
    const sessionCookie = (await browser.jar.getCookies(passgate.url)).find((c) => c.key === SESSION_COOKIE)!;

    // The sign-out form's POST is taken on (307, method and body kept) to the SAML door's chain.
    const csrf = formField(ss.page.body, '_csrf')!;
    const signout = await browser.fetch(`${passgate.url}/selfservice/signout`, { form: { _csrf: csrf } });
    expect(signout.status).toBe(307);
    expect(signout.headers.get('location')).toBe('/saml/logout');
    let page = await browser.fetch(new URL('/saml/logout', passgate.url).toString(), {
      form: { _csrf: csrf },
      headers: { origin: new URL(passgate.url).origin },
    });
    for (const sp of [beta, gamma]) {
      const { xml, next } = await actAsSp(browser, page, sp);
      expect(text(xml, 'NameID')).toBe(stated.get(sp.name)!.nameId);
      expect(text(xml, 'SessionIndex')).toBe(stated.get(sp.name)!.sessionIndex);
      page = next;
    }
    expect(page.status).toBe(200);
    expect(page.body).toContain('You have been signed out.');
    const [logout] = await passgate.core.audit.recent({ type: 'session.logout', limit: 1 });
    expect(logout?.details).toMatchObject({ initiator: 'passgate', reached: ['saml:beta', 'saml:gamma'] });

    // Neither the self-service site nor a SAML SP accepts the ended session, even from a copy of its cookie.
    const home = await browser.fetch(`${passgate.url}/selfservice`);
    expect(home.status).toBe(303);
    expect(home.headers.get('location')).toMatch(/^\/login\//);
    const copy = new Browser();
    await copy.jar.setCookie(`${SESSION_COOKIE}=${sessionCookie.value}; Path=/`, passgate.url);
    const again = await new SamlSignIn(passgate, copy).post(
      authnRequest({
        id: `_slo${++counter}`,
        issuer: beta.entityId,
        destination: `${passgate.url}/saml/sso`,
      }),
    );
    expect(again.page.body).toContain('name="password"');
  });

  it('refuses a LogoutResponse of no open chain', async () => {
    const stray = await fetch(`${passgate.url}/saml/slo?SAMLResponse=abc&RelayState=nothing`, {
      redirect: 'manual',
    });
    expect(stray.status).toBe(400);
  });
});
