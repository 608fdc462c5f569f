import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { User } from '../../src/store/repositories/users.js';
import type { PolicyServer } from '../policy/support.js';
import {
  authnRequest,
  entraRequest,
  giveAttributes,
  SamlSignIn,
  startSamlServer,
} from '../saml/sso-support.js';
import { decode } from '../saml/support.js';
import { Browser } from '../support/browser.js';

const GUID = Buffer.from('00112233445566778899aabbccddeeff', 'hex').toString('base64');
const SESSION_COOKIE = 'passgate.session';

describe('one server-side session per browser sign-in', () => {
  let passgate: PolicyServer;
  let tina: User;

  beforeAll(async () => {
    passgate = await startSamlServer();
    tina = await passgate.addTotpUser('tina', { email: 'tina@example.com' });
    await giveAttributes(passgate, tina.id, { immutableId: GUID, userPrincipalName: 'tina@example.com' });
  }, 60_000);
  afterAll(() => passgate?.close());

  const sessionRows = () =>
    passgate.core.database.db.selectFrom('sessions').selectAll().where('user_id', '=', tina.id).execute();

  it('stores who signed in and how, gives the browser only a random id (HttpOnly, Lax, on /), and records the SP with its NameID and SessionIndex', async () => {
    const signIn = await new SamlSignIn(passgate).post(entraRequest('_s0001', Date.now()));
    await signIn.password('tina');
    const before = passgate.clock();
    await signIn.code(passgate.totp());
    const xml = decode(signIn.posted.samlResponse);

    const cookies = await signIn.browser.jar.getCookies(passgate.url);
    const cookie = cookies.find((c) => c.key === SESSION_COOKIE);
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'lax', path: '/' });
    expect(cookie!.secure).toBe(passgate.url.startsWith('https:'));
    expect(cookie!.value).toMatch(/^[\w-]{43}$/);

    const rows = await sessionRows();
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    // The store holds the id's hash only.
    expect(row.secret_hash).toBe(createHash('sha256').update(cookie!.value).digest('hex'));
    expect(JSON.stringify(row)).not.toContain(cookie!.value);
    expect(row).toMatchObject({
      acr: 'urn:passgate:acr:mfa',
      revoked_at: null,
    });
    expect(JSON.parse(row.amr)).toEqual(['pwd', 'otp', 'mfa']);
    expect(row.mfa_at).toBeGreaterThanOrEqual(before);
    expect(row.expires_at - row.created_at).toBe(8 * 3_600_000);
    expect(row.device).toMatch(/^[\w-]{24}$/);
    expect(row.address).toMatch(/127\.0\.0\.1|::1/);

    const applications = await passgate.core.repositories.sessions.applications(row.id);
    const sessionIndex = /SessionIndex="([^"]+)"/.exec(xml)?.[1];
    expect(applications).toEqual([
      expect.objectContaining({
        door: 'saml',
        application: 'office365',
        name_id: GUID,
        name_id_format: 'persistent',
        session_index: sessionIndex,
        sid: null,
      }),
    ]);
    // The assertion's AuthnInstant is the session's password time.
    expect(xml).toContain(`AuthnInstant="${new Date(row.auth_time).toISOString()}"`);

    const [started] = await passgate.core.audit.recent({ type: 'session.start', userId: tina.id, limit: 1 });
    expect(started).toMatchObject({ outcome: 'success', username: 'tina', details: { session: row.id } });
    expect(JSON.stringify(started)).not.toContain(cookie!.value);
  });

  it('ends an idle session at the next clean-up, with its applications', async () => {
    const [row] = await sessionRows();
    passgate.clock.advance(61 * 60_000);
    await passgate.server.services()!.cleanUp();
    expect(await sessionRows()).toEqual([]);
    expect(await passgate.core.repositories.sessions.applications(row!.id)).toEqual([]);
  });

  it('gives the browser a new session id on every proof (the password again): the old id no longer works', async () => {
    const signIn = await new SamlSignIn(passgate).post(entraRequest('_s0002', passgate.clock()));
    await signIn.password('tina');
    await signIn.code(passgate.totp());
    const cookieOf = async (browser: Browser) =>
      (await browser.jar.getCookies(passgate.url)).find((c) => c.key === SESSION_COOKIE)!.value;
    const before = await cookieOf(signIn.browser);
    const [session] = await sessionRows();

    // Salesforce with ForceAuthn: the password (and the second factor) again, in the same session.
    const salesforce = (id: string, attributes: string) =>
      authnRequest({
        id,
        issuer: 'https://example.my.salesforce.com',
        destination: `${passgate.url}/saml/sso`,
        instant: passgate.clock(),
        attributes,
      });
    const forced = await new SamlSignIn(passgate, signIn.browser).post(
      salesforce('_s0003', ' ForceAuthn="true"'),
    );
    await forced.password('tina');
    if (forced.page.body.includes('name="code"')) await forced.code(passgate.totp());
    const after = await cookieOf(signIn.browser);
    expect(after).toMatch(/^[\w-]{43}$/);
    expect(after).not.toBe(before);
    const [proven] = await sessionRows();
    expect(proven!.id).toBe(session!.id);
    expect(proven!.secret_hash).toBe(createHash('sha256').update(after).digest('hex'));

    // The new id answers from the session; the old one, copied elsewhere, does not.
    const passive = ' IsPassive="true"';
    const kept = await new SamlSignIn(passgate, signIn.browser).post(salesforce('_s0004', passive));
    expect(decode(kept.posted.samlResponse)).not.toContain('NoPassive');
    const stale = new Browser();
    await stale.jar.setCookie(`${SESSION_COOKIE}=${before}; Path=/`, passgate.url);
    const refused = await new SamlSignIn(passgate, stale).post(salesforce('_s0005', passive));
    expect(decode(refused.posted.samlResponse)).toContain('urn:oasis:names:tc:SAML:2.0:status:NoPassive');
  });
});
