import { DOMParser } from '@xmldom/xmldom';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { User } from '../../src/store/repositories/users.js';
import type { PolicyServer } from '../policy/support.js';
import { Browser } from '../support/browser.js';
import {
  authnRequest,
  entraRequest,
  giveAttributes,
  type PostedResponse,
  redirectQuery,
  SamlSignIn,
  startSamlServer,
} from './sso-support.js';
import { decode, nodeSamlSp, xmlsecVerify } from './support.js';

const ASSERTION = 'urn:oasis:names:tc:SAML:2.0:assertion';
const MULTIPLE_AUTHN = 'http://schemas.microsoft.com/claims/multipleauthn';
const PASSWORD_TRANSPORT = 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport';
const GUID = Buffer.from('00112233445566778899aabbccddeeff', 'hex').toString('base64');

/** The first element of this local name in the assertion namespace. */
function element(xml: string, name: string) {
  return new DOMParser().parseFromString(xml, 'text/xml').getElementsByTagNameNS(ASSERTION, name)[0];
}

describe('SAML single sign-on through the hosted login', () => {
  let passgate: PolicyServer;
  let tina: User;
  let idpCert: string;
  let issuer: string;

  beforeAll(async () => {
    passgate = await startSamlServer({
      policies: {
        authentication: {
          'kiosk-password': {
            when: { doors: ['saml'], groups: ['kiosk'] },
            outcome: { action: 'allow' },
          },
          'no-contractors': {
            when: { doors: ['saml'], groups: ['contractors'] },
            outcome: { action: 'deny' },
          },
        },
      },
    });
    tina = await passgate.addTotpUser('tina', { email: 'tina@example.com' });
    await giveAttributes(passgate, tina.id, { immutableId: GUID, userPrincipalName: 'tina@example.com' });
    await passgate.addTotpUser('kim', { email: 'kim@example.com', groups: ['kiosk'] });
    await passgate.addTotpUser('carl', { email: 'carl@example.com', groups: ['contractors'] });
    const metadata = await (await fetch(`${passgate.url}/saml/metadata`)).text();
    const der = /<(?:\w+:)?X509Certificate>([^<]+)</.exec(metadata)![1]!;
    idpCert = `-----BEGIN CERTIFICATE-----\n${der.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;
    issuer = `${passgate.url}/saml/metadata`;
  }, 60_000);
  afterAll(() => passgate?.close());

  const sso = () => `${passgate.url}/saml/sso`;

  /** node-saml as the SP consumes the response: signatures, Audience, Recipient, times. */
  async function consume(
    posted: PostedResponse,
    sp: { entityId: string; signs: 'response' | 'assertion' | 'both' },
  ) {
    const xml = decode(posted.samlResponse);
    if (sp.signs !== 'assertion') xmlsecVerify(xml, idpCert, 'Response');
    if (sp.signs !== 'response') xmlsecVerify(xml, idpCert, 'Assertion');
    const saml = nodeSamlSp({
      entityId: sp.entityId,
      acsUrl: posted.acsUrl,
      idpCert,
      issuer,
      wantAssertionsSigned: sp.signs !== 'response',
      wantAuthnResponseSigned: sp.signs !== 'assertion',
      // The server's clock runs ahead of Date by the TOTP steps the tests moved it.
      acceptedClockSkewMs: passgate.clock() - Date.now() + 5000,
    });
    const { profile } = await saml.validatePostResponseAsync({ SAMLResponse: posted.samlResponse });
    return { xml, profile: profile! };
  }

  async function signInWithTotp(signIn: SamlSignIn, username = 'tina') {
    await signIn.password(username);
    return signIn.code(passgate.totp());
  }

  it('Microsoft 365: an Entra-shaped POST (no ACS URL, unsigned), TOTP, then ImmutableID, IDPEmail and multipleauthn', async () => {
    const id = '_entra0001';
    const signIn = await new SamlSignIn(passgate).post(entraRequest(id, Date.now()), 'entra-state');
    expect(signIn.page.url).toMatch(/\/login\/[\w-]+$/);
    expect(signIn.page.body).toContain('Microsoft 365');
    await signInWithTotp(signIn);
    expect(signIn.page.headers.get('cache-control')).toBe('no-store');
    expect(signIn.page.body).toContain('<script src="/assets/saml-post.js"></script>');
    const posted = signIn.posted;
    expect(posted.acsUrl).toBe('https://login.microsoftonline.com/login.srf');
    expect(posted.relayState).toBe('entra-state');
    const { xml, profile } = await consume(posted, {
      entityId: 'urn:federation:MicrosoftOnline',
      signs: 'assertion',
    });
    expect(profile.nameID).toBe(GUID);
    expect(profile.nameIDFormat).toBe('urn:oasis:names:tc:SAML:2.0:nameid-format:persistent');
    expect(profile.IDPEmail).toBe('tina@example.com');
    expect(element(xml, 'Audience')?.textContent).toBe('urn:federation:MicrosoftOnline');
    expect(element(xml, 'SubjectConfirmationData')?.getAttribute('Recipient')).toBe(posted.acsUrl);
    expect(element(xml, 'SubjectConfirmationData')?.getAttribute('InResponseTo')).toBe(id);
    expect(element(xml, 'AuthnContextClassRef')?.textContent).toBe(MULTIPLE_AUTHN);
    expect(element(xml, 'AuthnStatement')?.getAttribute('SessionIndex')).toMatch(/^_[0-9a-f]{40}$/);
    expect(element(xml, 'AuthenticatingAuthority')).toBeUndefined();

    const [event] = await passgate.core.audit.recent({ type: 'saml.response', limit: 1 });
    expect(event).toMatchObject({
      outcome: 'success',
      username: 'tina',
      details: { sp: 'office365', nameIdFormat: 'persistent', mfa: true, inResponseTo: id },
    });
  });

  it('Google Workspace: HTTP-Redirect, the e-mail as NameID in a signed Response, RelayState kept', async () => {
    const id = '_google0001';
    const xml = authnRequest({
      id,
      issuer: 'google.com/a/example.com',
      destination: sso(),
      acs: 'https://www.google.com/a/example.com/acs',
    });
    const relayState =
      'https://www.google.com/a/example.com/ServiceLogin?continue=https://mail.google.com/&x=1';
    const signIn = await new SamlSignIn(passgate).redirect(redirectQuery(xml, relayState));
    await signInWithTotp(signIn);
    const posted = signIn.posted;
    expect(posted.relayState).toBe(relayState);
    const { xml: response, profile } = await consume(posted, {
      entityId: 'google.com/a/example.com',
      signs: 'response',
    });
    expect(profile.nameID).toBe('tina@example.com');
    expect(profile.nameIDFormat).toBe('urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress');
    expect(element(response, 'SubjectConfirmationData')?.getAttribute('InResponseTo')).toBe(id);
    expect(element(response, 'AuthnContextClassRef')?.textContent).toBe(MULTIPLE_AUTHN);
  });

  it('Salesforce SP-initiated: Federation ID in the NameID, response and assertion signed', async () => {
    const id = '_sfdc0001';
    const xml = authnRequest({
      id,
      issuer: 'https://example.my.salesforce.com',
      destination: sso(),
      acs: 'https://example.my.salesforce.com?so=00D000000000001',
    });
    const signIn = await new SamlSignIn(passgate).post(xml, '/home/home.jsp');
    await signInWithTotp(signIn);
    const posted = signIn.posted;
    expect(posted.acsUrl).toBe('https://example.my.salesforce.com?so=00D000000000001');
    expect(posted.relayState).toBe('/home/home.jsp');
    const { xml: response, profile } = await consume(posted, {
      entityId: 'https://example.my.salesforce.com',
      signs: 'both',
    });
    expect(profile.nameID).toBe('tina@example.com');
    expect(profile.nameIDFormat).toBe('urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified');
    expect(element(response, 'SubjectConfirmationData')?.getAttribute('InResponseTo')).toBe(id);
  });

  it('Salesforce IdP-initiated: /saml/idp-init?sp=salesforce answers with no InResponseTo', async () => {
    const signIn = await new SamlSignIn(passgate).idpInit('salesforce', '/001/o');
    await signInWithTotp(signIn);
    const posted = signIn.posted;
    expect(posted.relayState).toBe('/001/o');
    const { xml, profile } = await consume(posted, {
      entityId: 'https://example.my.salesforce.com',
      signs: 'both',
    });
    expect(profile.nameID).toBe('tina@example.com');
    expect(xml).not.toContain('InResponseTo');
    expect(element(xml, 'AuthnContextClassRef')?.textContent).toBe(MULTIPLE_AUTHN);
  });

  it('says PasswordProtectedTransport when a policy rule lets the password alone in', async () => {
    const xml = authnRequest({ id: '_kiosk0001', issuer: 'google.com/a/example.com', destination: sso() });
    const signIn = await new SamlSignIn(passgate).post(xml);
    await signIn.password('kim');
    const { xml: response, profile } = await consume(signIn.posted, {
      entityId: 'google.com/a/example.com',
      signs: 'response',
    });
    expect(profile.nameID).toBe('kim@example.com');
    expect(element(response, 'AuthnContextClassRef')?.textContent).toBe(PASSWORD_TRANSPORT);
  });

  it('refuses IdP-initiated SSO to Microsoft 365 and to an unknown SP, with an error page', async () => {
    const office = await new SamlSignIn(passgate).idpInit('office365');
    expect(office.page.status).toBe(403);
    expect(office.page.body).toContain('data-code="SAML_IDP_INIT_NOT_ALLOWED"');
    const unknown = await new SamlSignIn(passgate).idpInit('nobody');
    expect(unknown.page.status).toBe(403);
    expect(unknown.page.body).toContain('data-code="SAML_UNKNOWN_SP"');
  });

  it('does not let another browser (without the flow cookie) continue a flow', async () => {
    const signIn = await new SamlSignIn(passgate).post(entraRequest('_entra0002', Date.now()));
    const stranger = await new SamlSignIn(passgate, new Browser()).go(`${passgate.url}/login/${signIn.uid}`);
    expect(stranger.page.status).toBe(400);
    expect(stranger.page.body).toContain('data-code="LOGIN_EXPIRED"');
    expect(stranger.page.body).not.toContain('name="password"');
  });

  it('refuses a replayed AuthnRequest', async () => {
    const xml = entraRequest('_entra0003', Date.now());
    await new SamlSignIn(passgate).post(xml);
    const replay = await new SamlSignIn(passgate).post(xml);
    expect(replay.page.status).toBe(400);
    expect(replay.page.body).toContain('data-code="SAML_REQUEST_REPLAYED"');
    expect(replay.page.body).not.toMatch(/at \w+ \(/); // no stack trace
  });

  it('answers a flow once: its pages are gone after the response was sent', async () => {
    const signIn = await new SamlSignIn(passgate).post(entraRequest('_entra0004', Date.now()));
    const uid = signIn.uid;
    await signInWithTotp(signIn);
    expect(signIn.posted.samlResponse).toBeTruthy();
    const again = await signIn.go(`${passgate.url}/login/${uid}`);
    expect(again.page.status).toBe(400);
    expect(again.page.body).toContain('data-code="LOGIN_EXPIRED"');
  });

  it('answers IsPassive with a signed NoPassive response', async () => {
    const xml = authnRequest({
      id: '_passive1',
      issuer: 'google.com/a/example.com',
      destination: sso(),
      attributes: ' IsPassive="true"',
    });
    const signIn = await new SamlSignIn(passgate).post(xml, 'rs');
    const posted = signIn.posted;
    xmlsecVerify(decode(posted.samlResponse), idpCert, 'Response');
    expect(decode(posted.samlResponse)).toContain('urn:oasis:names:tc:SAML:2.0:status:NoPassive');
    const saml = nodeSamlSp({ entityId: 'google.com/a/example.com', acsUrl: posted.acsUrl, idpCert, issuer });
    expect((await saml.validatePostResponseAsync({ SAMLResponse: posted.samlResponse })).profile).toBeNull();
  });

  it('answers a cancelled sign-in with AuthnFailed', async () => {
    const signIn = await new SamlSignIn(passgate).post(entraRequest('_entra0005', Date.now()), 'rs');
    const uid = signIn.uid;
    const csrf = /name="_csrf" value="([^"]+)"/.exec(signIn.page.body)![1]!;
    await signIn.go(`${passgate.url}/login/${uid}/abort`, { form: { _csrf: csrf } });
    const xml = decode(signIn.posted.samlResponse);
    xmlsecVerify(xml, idpCert, 'Response');
    expect(xml).toContain('urn:oasis:names:tc:SAML:2.0:status:AuthnFailed');
    expect(xml).toContain('InResponseTo="_entra0005"');
    expect(signIn.posted.relayState).toBe('rs');
  });

  it('answers a sign-in the policy denies with a signed RequestDenied, not with a Passgate page', async () => {
    const xml = authnRequest({ id: '_denied01', issuer: 'google.com/a/example.com', destination: sso() });
    const signIn = await new SamlSignIn(passgate).post(xml, 'rs-denied');
    await signIn.password('carl');
    const response = decode(signIn.posted.samlResponse);
    xmlsecVerify(response, idpCert, 'Response');
    expect(response).toContain('urn:oasis:names:tc:SAML:2.0:status:RequestDenied');
    expect(response).toContain('InResponseTo="_denied01"');
    expect(response).not.toContain('Assertion');
    expect(signIn.posted.relayState).toBe('rs-denied');
    const saml = nodeSamlSp({
      entityId: 'google.com/a/example.com',
      acsUrl: signIn.posted.acsUrl,
      idpCert,
      issuer,
    });
    await expect(
      saml.validatePostResponseAsync({ SAMLResponse: signIn.posted.samlResponse }),
    ).rejects.toThrow(/RequestDenied/);
  });

  it('shows an error page for a request that is not SAML', async () => {
    const response = await fetch(`${sso()}?SAMLRequest=bm90IHhtbA`);
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('data-code="SAML_REQUEST_MALFORMED"');
  });
});
