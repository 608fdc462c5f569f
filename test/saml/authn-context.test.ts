import { DOMParser } from '@xmldom/xmldom';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PolicyServer } from '../policy/support.js';
import { genericMetadata, idpCertificate, registerSp } from './generic-sp.js';
import { authnRequest, type PostedResponse, SamlSignIn, startSamlServer } from './sso-support.js';
import { decode, nodeSamlSp, xmlsecVerify } from './support.js';

const SAMLP = 'urn:oasis:names:tc:SAML:2.0:protocol';
const ASSERTION = 'urn:oasis:names:tc:SAML:2.0:assertion';
const AC = 'urn:oasis:names:tc:SAML:2.0:ac:classes:';
const PPT = `${AC}PasswordProtectedTransport`;
const REFEDS_MFA = 'https://refeds.org/profile/mfa';
const EMAIL = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';
const WIKI = 'https://wiki.example.org/saml';
const WIKI_ACS = 'https://wiki.example.org/saml/acs';

/** A RequestedAuthnContext element. */
const requested = (comparison: string, ...classes: string[]) =>
  `<samlp:RequestedAuthnContext Comparison="${comparison}">${classes
    .map((c) => `<saml:AuthnContextClassRef>${c}</saml:AuthnContextClassRef>`)
    .join('')}</samlp:RequestedAuthnContext>`;

/** A Subject naming a user by e-mail address. */
const subject = (email: string) =>
  `<saml:Subject><saml:NameID Format="${EMAIL}">${email}</saml:NameID></saml:Subject>`;

/** The top-level and second-level status codes of a response. */
function statusOf(xml: string): string[] {
  const doc = new DOMParser().parseFromString(xml, 'text/xml');
  return Array.from(doc.getElementsByTagNameNS(SAMLP, 'StatusCode')).map((e) => e.getAttribute('Value')!);
}

const classOf = (xml: string) =>
  new DOMParser()
    .parseFromString(xml, 'text/xml')
    .getElementsByTagNameNS(ASSERTION, 'AuthnContextClassRef')[0]?.textContent;

describe('SAML: what an AuthnRequest asks of the sign-in (RequestedAuthnContext, Subject)', () => {
  let passgate: PolicyServer;
  let idpCert: string;
  let counter = 0;

  beforeAll(async () => {
    passgate = await startSamlServer({
      policies: {
        authentication: {
          'office-network': {
            when: { doors: ['saml'], networks: ['127.0.0.0/8', '::1/128'], groups: ['office'] },
            outcome: { action: 'allow' },
          },
        },
      },
    });
    await registerSp(
      passgate,
      'wiki',
      genericMetadata(WIKI, WIKI_ACS, { wantAssertionsSigned: true, nameIdFormats: [EMAIL] }),
    );
    await passgate.addTotpUser('olga', { email: 'olga@example.com', groups: ['office'] });
    await passgate.addTotpUser('max', { email: 'max@example.com' });
    idpCert = await idpCertificate(passgate);
  }, 60_000);
  afterAll(() => passgate?.close());

  /** A new AuthnRequest to the wiki, with `extra` after its Issuer. */
  function request(extra: string) {
    const id = `_ctx${++counter}`;
    const xml = authnRequest({
      id,
      issuer: WIKI,
      destination: `${passgate.url}/saml/sso`,
      acs: WIKI_ACS,
      extra,
    });
    return { id, xml };
  }

  /** node-saml as the wiki: both signatures (xmlsec1 too), Audience, Recipient, times. */
  async function consume(posted: PostedResponse) {
    const xml = decode(posted.samlResponse);
    xmlsecVerify(xml, idpCert, 'Response');
    xmlsecVerify(xml, idpCert, 'Assertion');
    const saml = nodeSamlSp({
      entityId: WIKI,
      acsUrl: posted.acsUrl,
      idpCert,
      issuer: `${passgate.url}/saml/metadata`,
      acceptedClockSkewMs: passgate.clock() - Date.now() + 5000,
    });
    const { profile } = await saml.validatePostResponseAsync({ SAMLResponse: posted.samlResponse });
    return { xml, profile: profile! };
  }

  it('answers a class Passgate cannot prove (exact X509, minimum Smartcard) with a signed Requester/NoAuthnContext, before any password', async () => {
    for (const ask of [requested('exact', `${AC}X509`), requested('minimum', `${AC}Smartcard`)]) {
      const { id, xml } = request(ask);
      const signIn = await new SamlSignIn(passgate).post(xml, 'state-1');
      expect(signIn.page.body).not.toContain('name="password"');
      const posted = signIn.posted;
      expect(posted.acsUrl).toBe(WIKI_ACS);
      expect(posted.relayState).toBe('state-1');
      const response = decode(posted.samlResponse);
      xmlsecVerify(response, idpCert, 'Response');
      expect(statusOf(response)).toEqual([
        'urn:oasis:names:tc:SAML:2.0:status:Requester',
        'urn:oasis:names:tc:SAML:2.0:status:NoAuthnContext',
      ]);
      expect(response).toContain(`InResponseTo="${id}"`);
      expect(response).not.toContain('Assertion');
      const [event] = await passgate.core.audit.recent({ type: 'saml.response', limit: 1 });
      expect(event).toMatchObject({
        outcome: 'failure',
        reason: 'authn_context',
        details: { sp: 'wiki', status: 'NoAuthnContext', inResponseTo: id },
      });
    }
  });

  it('steps up "better than PasswordProtectedTransport" to the second factor on an allow-rule network, and states REFEDS MFA', async () => {
    const signIn = await new SamlSignIn(passgate).post(request(requested('better', PPT)).xml);
    await signIn.password('olga');
    expect(signIn.page.body).toContain('name="code"');
    await signIn.code(passgate.totp());
    const { xml, profile } = await consume(signIn.posted);
    expect(profile.nameID).toBe('olga@example.com');
    expect(classOf(xml)).toBe(REFEDS_MFA);
    const [login] = await passgate.logins('olga');
    expect(login!.details).toMatchObject({ rule: 'office-network', stepUp: 'requested_authn_context' });
  });

  it('states the very class asked for with exact (MobileTwoFactorContract) after the second factor', async () => {
    const signIn = await new SamlSignIn(passgate).post(
      request(requested('exact', `${AC}MobileTwoFactorContract`)).xml,
    );
    await signIn.password('olga');
    await signIn.code(passgate.totp());
    expect(classOf((await consume(signIn.posted)).xml)).toBe(`${AC}MobileTwoFactorContract`);
  });

  it('lets the allow rule stand for "minimum PasswordProtectedTransport" (password alone, PPT stated)', async () => {
    const signIn = await new SamlSignIn(passgate).post(request(requested('minimum', PPT)).xml);
    await signIn.password('olga');
    expect(classOf((await consume(signIn.posted)).xml)).toBe(PPT);
  });

  it('states no more than "maximum PasswordProtectedTransport" allows, although the policy asked for a second factor', async () => {
    const signIn = await new SamlSignIn(passgate).post(request(requested('maximum', PPT)).xml);
    await signIn.password('max');
    await signIn.code(passgate.totp());
    expect(classOf((await consume(signIn.posted)).xml)).toBe(PPT);
  });

  it('answers Requester/UnknownPrincipal when someone else signs in than the Subject the request names', async () => {
    const { id, xml } = request(subject('olga@example.com'));
    const signIn = await new SamlSignIn(passgate).post(xml);
    await signIn.password('max');
    await signIn.code(passgate.totp());
    const response = decode(signIn.posted.samlResponse);
    xmlsecVerify(response, idpCert, 'Response');
    expect(statusOf(response)).toEqual([
      'urn:oasis:names:tc:SAML:2.0:status:Requester',
      'urn:oasis:names:tc:SAML:2.0:status:UnknownPrincipal',
    ]);
    expect(response).not.toContain('Assertion');
    const [event] = await passgate.core.audit.recent({ type: 'saml.response', limit: 1 });
    expect(event).toMatchObject({
      outcome: 'failure',
      reason: 'subject',
      username: 'max',
      details: { status: 'UnknownPrincipal', inResponseTo: id },
    });
  });

  it('signs in the Subject the request names (the e-mail NameID in any case)', async () => {
    const signIn = await new SamlSignIn(passgate).post(request(subject('OLGA@example.com')).xml);
    await signIn.password('olga');
    const { profile } = await consume(signIn.posted);
    expect(profile.nameID).toBe('olga@example.com');
  });
});
