import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { User } from '../../src/store/repositories/users.js';
import { ACR_MFA, ACR_PASSWORD, type PolicyServer, SignIn } from '../policy/support.js';
import {
  authnRequest,
  entraRequest,
  giveAttributes,
  type PostedResponse,
  redirectQuery,
  SamlSignIn,
  startSamlServer,
} from '../saml/sso-support.js';
import { decode, nodeSamlSp, xmlsecVerify } from '../saml/support.js';
import { Browser } from '../support/browser.js';

const GUID = Buffer.from('00112233445566778899aabbccddeeff', 'hex').toString('base64');
const SALESFORCE = 'https://example.my.salesforce.com';
const GOOGLE = 'google.com/a/example.com';
const NO_PASSIVE = 'urn:oasis:names:tc:SAML:2.0:status:NoPassive';

describe('single sign-on across SAML and OIDC, every rule applied again', () => {
  let passgate: PolicyServer;
  let tina: User;
  let idpCert: string;
  let sequence = 0;

  beforeAll(async () => {
    passgate = await startSamlServer({
      policies: {
        authentication: {
          // Google takes the password alone; every other application needs the second factor.
          'google-password': { when: { applications: ['google'] }, outcome: { action: 'allow' } },
        },
      },
    });
    for (const name of ['tina', 'pia', 'dora', 'ida']) {
      const user = await passgate.addTotpUser(name, { email: `${name}@example.com` });
      await giveAttributes(passgate, user.id, {
        immutableId: GUID,
        userPrincipalName: `${name}@example.com`,
      });
      if (name === 'tina') tina = user;
    }
    const metadata = await (await fetch(`${passgate.url}/saml/metadata`)).text();
    const der = /<(?:\w+:)?X509Certificate>([^<]+)</.exec(metadata)![1]!;
    idpCert = `-----BEGIN CERTIFICATE-----\n${der.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;
  }, 60_000);
  afterAll(() => passgate?.close());

  /** A Salesforce AuthnRequest (POST binding) with extra attributes (ForceAuthn, IsPassive). */
  const salesforce = (attributes = '') =>
    authnRequest({
      id: `_sf${++sequence}`,
      issuer: SALESFORCE,
      destination: `${passgate.url}/saml/sso`,
      instant: passgate.clock(),
      attributes,
    });
  const google = (attributes = '') =>
    redirectQuery(
      authnRequest({
        id: `_g${++sequence}`,
        issuer: GOOGLE,
        destination: `${passgate.url}/saml/sso`,
        acs: 'https://www.google.com/a/example.com/acs',
        instant: passgate.clock(),
        attributes,
      }),
    );

  /** The SP's view of a posted response: signature (xmlsec1 and node-saml), then the profile. */
  async function consume(posted: PostedResponse, entityId: string, signs: 'response' | 'assertion') {
    const xml = decode(posted.samlResponse);
    xmlsecVerify(xml, idpCert, signs === 'response' ? 'Response' : 'Assertion');
    const saml = nodeSamlSp({
      entityId,
      acsUrl: posted.acsUrl,
      idpCert,
      issuer: `${passgate.url}/saml/metadata`,
      wantAssertionsSigned: signs === 'assertion',
      wantAuthnResponseSigned: signs === 'response',
      acceptedClockSkewMs: passgate.clock() - Date.now() + 5000,
    });
    const { profile } = await saml.validatePostResponseAsync({ SAMLResponse: posted.samlResponse });
    return profile!;
  }

  const sessionOf = async (userId: string) =>
    passgate.core.database.db
      .selectFrom('sessions')
      .selectAll()
      .where('user_id', '=', userId)
      .orderBy('created_at', 'desc')
      .executeTakeFirstOrThrow();

  /** Signs in at Microsoft 365 with password and TOTP; the browser then has an MFA session. */
  async function mfaSession(username: string): Promise<Browser> {
    const signIn = await new SamlSignIn(passgate).post(entraRequest(`_m${++sequence}`, passgate.clock()));
    await signIn.password(username);
    await signIn.code(passgate.totp());
    expect(signIn.posted.acsUrl).toBe('https://login.microsoftonline.com/login.srf');
    return signIn.browser;
  }

  it('password and TOTP once at Microsoft 365, then Salesforce, Google and an OIDC client without typing anything', async () => {
    const browser = await mfaSession('tina');
    const session = await sessionOf(tina.id);

    const atSalesforce = await new SamlSignIn(passgate, browser).post(salesforce());
    const profile = await consume(atSalesforce.posted, SALESFORCE, 'response');
    expect(profile.nameID).toBe('tina@example.com');
    const sfXml = decode(atSalesforce.posted.samlResponse);
    expect(sfXml).toContain(`AuthnInstant="${new Date(session.auth_time).toISOString()}"`);

    const atGoogle = await new SamlSignIn(passgate, browser).redirect(google());
    expect((await consume(atGoogle.posted, GOOGLE, 'response')).nameID).toBe('tina@example.com');

    const oidc = await SignIn.start(await passgate.rp(), browser);
    expect(oidc.asksPassword).toBe(false);
    const claims = await oidc.claims();
    expect(claims).toMatchObject({
      sub: tina.id,
      acr: ACR_MFA,
      auth_time: Math.floor(session.auth_time / 1000),
    });
    expect(claims.amr).toEqual(expect.arrayContaining(['pwd', 'otp', 'mfa']));

    // One session, four applications, three reuses audited.
    expect(
      (
        await passgate.core.database.db
          .selectFrom('sessions')
          .select('id')
          .where('user_id', '=', tina.id)
          .execute()
      ).length,
    ).toBe(1);
    const applications = await passgate.core.repositories.sessions.applications(session.id);
    expect(applications.map((a) => `${a.door}:${a.application}`)).toEqual([
      'saml:office365',
      'saml:salesforce',
      'saml:google',
      'oidc:test-app',
    ]);
    expect(applications[3]!.sid).toMatch(/^[\w-]+$/);
    expect(applications[1]!.session_index).toBe(/SessionIndex="([^"]+)"/.exec(sfXml)![1]);
    const reuses = await passgate.core.audit.recent({ type: 'session.reuse', userId: tina.id });
    expect(reuses.map((e) => e.details.application).reverse()).toEqual(['salesforce', 'google', 'test-app']);
    expect(reuses.every((e) => e.details.session === session.id)).toBe(true);
  });

  it('refuses a replayed AuthnRequest the session would answer, and stores nothing of the second answer', async () => {
    const pia = (await passgate.core.users.findByUsername('pia'))!;
    const browser = await mfaSession('pia');
    const xml = salesforce();
    const first = await new SamlSignIn(passgate, browser).post(xml);
    expect((await consume(first.posted, SALESFORCE, 'response')).nameID).toBe('pia@example.com');
    const replay = await new SamlSignIn(passgate, browser).post(xml);
    expect(replay.page.status).toBe(400);
    expect(replay.page.body).toContain('data-code="SAML_REQUEST_REPLAYED"');
    expect(replay.page.body).not.toContain('SAMLResponse');
    // The first answer's writes only: its response and its use of the session, audited once.
    const responses = await passgate.core.audit.recent({ type: 'saml.response', userId: pia.id });
    expect(responses.map((e) => e.details.sp)).toEqual(['salesforce', 'office365']);
    const reuses = await passgate.core.audit.recent({ type: 'session.reuse', userId: pia.id });
    expect(reuses.map((e) => e.details.application)).toEqual(['salesforce']);
  });

  it('a password-only session asks only for the second factor where the rule for the application needs it', async () => {
    const first = await new SamlSignIn(passgate).redirect(google());
    await first.password('pia');
    expect((await consume(first.posted, GOOGLE, 'response')).nameID).toBe('pia@example.com');
    const pia = (await passgate.core.users.findByUsername('pia'))!;
    expect(await sessionOf(pia.id)).toMatchObject({ acr: ACR_PASSWORD, mfa_at: null });

    const second = await new SamlSignIn(passgate, first.browser).post(salesforce());
    expect(second.page.body).not.toContain('name="password"');
    expect(second.page.url).toMatch(/\/login\/[\w-]+\/mfa$/);
    await second.code(passgate.totp());
    expect((await consume(second.posted, SALESFORCE, 'response')).nameID).toBe('pia@example.com');
    const session = await sessionOf(pia.id);
    expect(session).toMatchObject({ acr: ACR_MFA });
    expect(JSON.parse(session.amr)).toEqual(expect.arrayContaining(['pwd', 'otp', 'mfa']));
    const [stepUp] = await passgate.core.audit.recent({ type: 'session.step_up', userId: pia.id, limit: 1 });
    expect(stepUp!.details.session).toBe(session.id);

    // The OIDC client (default rule: MFA) is answered from the stepped-up session.
    const oidc = await SignIn.start(await passgate.rp(), first.browser);
    expect((await oidc.claims()).acr).toBe(ACR_MFA);
  });

  it('ForceAuthn and prompt=login ask for the password again, and the same session goes on', async () => {
    const browser = await mfaSession('dora');
    const dora = (await passgate.core.users.findByUsername('dora'))!;
    const before = await sessionOf(dora.id);

    const forced = await new SamlSignIn(passgate, browser).post(salesforce(' ForceAuthn="true"'));
    expect(forced.page.body).toContain('name="password"');
    passgate.clock.advance(1_000);
    await forced.password('dora');
    if (forced.page.body.includes('name="code"')) await forced.code(passgate.totp());
    expect((await consume(forced.posted, SALESFORCE, 'response')).nameID).toBe('dora@example.com');
    const after = await sessionOf(dora.id);
    expect(after.id).toBe(before.id);
    expect(after.auth_time).toBeGreaterThan(before.auth_time);

    const login = await SignIn.start(await passgate.rp(), browser, { prompt: 'login' });
    expect(login.asksPassword).toBe(true);
  });

  it('IsPassive and prompt=none answer from the session, and fail with NoPassive and login_required without one', async () => {
    const stranger = new Browser();
    const noSession = await new SamlSignIn(passgate, stranger).post(salesforce(' IsPassive="true"'));
    expect(decode(noSession.posted.samlResponse)).toContain(NO_PASSIVE);
    const none = await SignIn.start(await passgate.rp(), stranger, { prompt: 'none' });
    expect(new URL(none.callback!).searchParams.get('error')).toBe('login_required');

    const browser = await mfaSession('ida');
    const passive = await new SamlSignIn(passgate, browser).post(salesforce(' IsPassive="true"'));
    expect((await consume(passive.posted, SALESFORCE, 'response')).nameID).toBe('ida@example.com');
    // prompt=none from a session started at another door (SAML): no page, a code.
    const silent = await SignIn.start(await passgate.rp(), browser, { prompt: 'none' });
    expect((await silent.claims()).preferred_username).toBe('ida');
  });

  it('a user disabled since loses the session at the next use, at every door', async () => {
    const browser = await mfaSession('tina');
    const oidc = await SignIn.start(await passgate.rp(), browser);
    await oidc.claims();
    await passgate.core.users.setDisabled('tina', true);
    try {
      const next = await new SamlSignIn(passgate, browser).post(salesforce());
      expect(next.page.body).toContain('name="password"');
      const session = await sessionOf(tina.id);
      expect(session).toMatchObject({ revoked_reason: 'user_disabled' });
      expect(session.revoked_at).not.toBeNull();
      const [revoked] = await passgate.core.audit.recent({
        type: 'session.revoke',
        userId: tina.id,
        limit: 1,
      });
      expect(revoked!.details.sessions).toEqual([session.id]);
      const none = await SignIn.start(await passgate.rp(), browser, { prompt: 'none' });
      expect(new URL(none.callback!).searchParams.get('error')).toBe('login_required');
    } finally {
      await passgate.core.users.setDisabled('tina', false);
    }
  });

  it('refuses a session cookie once the session is idle or past its end, and a made-up one', async () => {
    const browser = await mfaSession('dora');
    passgate.clock.advance(61 * 60_000);
    const idle = await new SamlSignIn(passgate, browser).post(salesforce(' IsPassive="true"'));
    expect(decode(idle.posted.samlResponse)).toContain(NO_PASSIVE);

    const again = await mfaSession('dora');
    // Used every 59 minutes, it lives until its absolute end (8 hours), not beyond.
    for (let use = 1; use <= 9; use++) {
      passgate.clock.advance(59 * 60_000);
      const kept = await new SamlSignIn(passgate, again).post(salesforce(' IsPassive="true"'));
      const xml = decode(kept.posted.samlResponse);
      if (use <= 8) expect(xml).not.toContain(NO_PASSIVE);
      else expect(xml).toContain(NO_PASSIVE);
    }

    const forged = new Browser();
    await forged.jar.setCookie(`passgate.session=${'A'.repeat(43)}; Path=/`, passgate.url);
    const refused = await new SamlSignIn(passgate, forged).post(salesforce(' IsPassive="true"'));
    expect(decode(refused.posted.samlResponse)).toContain(NO_PASSIVE);
  });
});
