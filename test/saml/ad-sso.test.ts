// SAML sign-ins with users of the real Samba AD DC, one per profile: the password is checked by an
// AD bind, the second factor is a TOTP token, and the NameID comes from the AD entry (Microsoft
// 365: the ImmutableID that ldapsearch prints for the objectGUID; Google: mail; Salesforce: UPN).
import { DOMParser } from '@xmldom/xmldom';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { enrolOath } from '../../src/tokens/enrol.js';
import { timeStep, totpCode } from '../../src/tokens/oath.js';
import { ACR_MFA, type PolicyServer, SignIn } from '../policy/support.js';
import { adDirectoryConfig } from '../support/ad.js';
import { attr, createUser, DEFAULT_PASSWORD, holdDc, ldapsearch, requireDc } from '../support/samba/index.js';
import { authnRequest, entraRequest, redirectQuery, SamlSignIn, startSamlServer } from './sso-support.js';
import { decode, nodeSamlSp, xmlsecVerify } from './support.js';

const dc = requireDc(inject('samba'));
const ASSERTION = 'urn:oasis:names:tc:SAML:2.0:assertion';
const SECRET = Buffer.from('AD-user TOTP secret 20b');

describe('SAML sign-ins of Active Directory users', () => {
  let passgate: PolicyServer;
  let release: () => Promise<void>;
  let idpCert: string;

  beforeAll(async () => {
    release = await holdDc(dc, 'shared');
    passgate = await startSamlServer({ directory: adDirectoryConfig(dc) });
    const metadata = await (await fetch(`${passgate.url}/saml/metadata`)).text();
    const der = /<(?:\w+:)?X509Certificate>([^<]+)</.exec(metadata)![1]!;
    idpCert = `-----BEGIN CERTIFICATE-----\n${der.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;
  }, 120_000);
  afterAll(async () => {
    await passgate?.close();
    await release?.();
  });

  /** An AD user Passgate knows (after a first AD sign-in) with a TOTP token. */
  async function adUserWithTotp(sam: string, extra: { mail?: string } = {}) {
    const ad = await createUser(dc, { sam, ...extra });
    const user = await passgate.core.directory.authenticate(sam, DEFAULT_PASSWORD);
    await enrolOath(
      passgate.core.tokens,
      { userId: user.id, label: sam, type: 'totp', secret: SECRET },
      'Passgate',
    );
    return ad;
  }

  /** The AD password (an LDAPS bind), then a fresh TOTP code. */
  async function signInWithAd(signIn: SamlSignIn, login: string) {
    await signIn.password(login, DEFAULT_PASSWORD);
    passgate.clock.advance(30_000); // a time step of its own: a code is accepted once
    await signIn.code(totpCode(SECRET, timeStep(passgate.clock(), 30), 30, { algorithm: 'SHA1', digits: 6 }));
    return signIn.posted;
  }

  /** node-saml as the SP, after xmlsec1 checked the signatures the profile makes. */
  async function consume(
    samlResponse: string,
    acsUrl: string,
    entityId: string,
    signs: 'response' | 'assertion' | 'both',
  ) {
    const xml = decode(samlResponse);
    if (signs !== 'assertion') xmlsecVerify(xml, idpCert, 'Response');
    if (signs !== 'response') xmlsecVerify(xml, idpCert, 'Assertion');
    const sp = nodeSamlSp({
      entityId,
      acsUrl,
      idpCert,
      issuer: `${passgate.url}/saml/metadata`,
      wantAssertionsSigned: signs !== 'response',
      wantAuthnResponseSigned: signs !== 'assertion',
      acceptedClockSkewMs: passgate.clock() - Date.now() + 5000,
    });
    const { profile } = await sp.validatePostResponseAsync({ SAMLResponse: samlResponse });
    const classRef = new DOMParser()
      .parseFromString(xml, 'text/xml')
      .getElementsByTagNameNS(ASSERTION, 'AuthnContextClassRef')[0]?.textContent;
    return { profile: profile!, classRef };
  }

  it('Microsoft 365: binds to AD, asks the TOTP code, and sends the objectGUID as a persistent NameID with the UPN as IDPEmail', async () => {
    const ad = await adUserWithTotp('saml-m365');
    const [entry] = await ldapsearch(dc, '(sAMAccountName=saml-m365)', ['objectGUID']);
    const immutableId = attr(entry!, 'objectGUID')!;
    const signIn = await new SamlSignIn(passgate).post(entraRequest('_entra-ad-1', Date.now()), 'ad-state');
    // A wrong AD password is refused by the bind, with the generic message.
    await signIn.password('saml-m365', 'not the password');
    expect(signIn.page.status).toBe(401);
    const posted = await signInWithAd(signIn, ad.upn);
    expect(posted.acsUrl).toBe('https://login.microsoftonline.com/login.srf');
    expect(posted.relayState).toBe('ad-state');
    const { profile, classRef } = await consume(
      posted.samlResponse,
      posted.acsUrl,
      'urn:federation:MicrosoftOnline',
      'assertion',
    );
    expect(profile.nameID).toBe(immutableId);
    expect(profile.nameIDFormat).toBe('urn:oasis:names:tc:SAML:2.0:nameid-format:persistent');
    expect(profile.IDPEmail).toBe(ad.upn);
    expect(classRef).toBe('http://schemas.microsoft.com/claims/multipleauthn');
    const [login] = await passgate.core.audit.recent({ type: 'login', limit: 1 });
    expect(login).toMatchObject({
      outcome: 'success',
      username: 'saml-m365',
      details: { door: 'saml', application: 'office365', method: 'totp' },
    });
  });

  it('Google Workspace: the AD mail attribute as the NameID, over HTTP-Redirect', async () => {
    await adUserWithTotp('saml-google', { mail: 'saml.google@example.com' });
    const request = authnRequest({
      id: '_google-ad-1',
      issuer: 'google.com/a/example.com',
      destination: `${passgate.url}/saml/sso`,
      acs: 'https://www.google.com/a/example.com/acs',
    });
    const signIn = await new SamlSignIn(passgate).redirect(
      redirectQuery(request, 'https://mail.google.com/'),
    );
    const posted = await signInWithAd(signIn, `${dc.domain}\\saml-google`);
    expect(posted.relayState).toBe('https://mail.google.com/');
    const { profile, classRef } = await consume(
      posted.samlResponse,
      posted.acsUrl,
      'google.com/a/example.com',
      'response',
    );
    expect(profile.nameID).toBe('saml.google@example.com');
    expect(profile.nameIDFormat).toBe('urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress');
    expect(classRef).toBe('http://schemas.microsoft.com/claims/multipleauthn');
  });

  it('Salesforce: the UPN as the Federation ID, SP-initiated and IdP-initiated', async () => {
    const ad = await adUserWithTotp('saml-sfdc');
    const request = authnRequest({
      id: '_sfdc-ad-1',
      issuer: 'https://example.my.salesforce.com',
      destination: `${passgate.url}/saml/sso`,
      acs: 'https://example.my.salesforce.com?so=00D000000000001',
    });
    const spInitiated = await signInWithAd(
      await new SamlSignIn(passgate).post(request, '/home/home.jsp'),
      'saml-sfdc',
    );
    const first = await consume(
      spInitiated.samlResponse,
      spInitiated.acsUrl,
      'https://example.my.salesforce.com',
      'both',
    );
    expect(first.profile.nameID).toBe(ad.upn);
    expect(decode(spInitiated.samlResponse)).toContain('InResponseTo="_sfdc-ad-1"');
    const idpInitiated = await signInWithAd(
      await new SamlSignIn(passgate).idpInit('salesforce', '/001/o'),
      'saml-sfdc',
    );
    const second = await consume(
      idpInitiated.samlResponse,
      idpInitiated.acsUrl,
      'https://example.my.salesforce.com',
      'both',
    );
    expect(second.profile.nameID).toBe(ad.upn);
    expect(decode(idpInitiated.samlResponse)).not.toContain('InResponseTo');
  });

  it('single sign-on with the AD user: password and TOTP once at Microsoft 365, then Salesforce, Google and an OIDC client without typing anything', async () => {
    const ad = await adUserWithTotp('saml-sso', { mail: 'saml.sso@example.com' });
    const signIn = await new SamlSignIn(passgate).post(entraRequest('_entra-ad-sso', Date.now()));
    const atMicrosoft = await signInWithAd(signIn, ad.upn);
    expect(atMicrosoft.acsUrl).toBe('https://login.microsoftonline.com/login.srf');
    const { browser } = signIn;

    const atSalesforce = await new SamlSignIn(passgate, browser).post(
      authnRequest({
        id: '_sfdc-ad-sso',
        issuer: 'https://example.my.salesforce.com',
        destination: `${passgate.url}/saml/sso`,
        acs: 'https://example.my.salesforce.com?so=00D000000000001',
      }),
    );
    const salesforce = await consume(
      atSalesforce.posted.samlResponse,
      atSalesforce.posted.acsUrl,
      'https://example.my.salesforce.com',
      'both',
    );
    expect(salesforce.profile.nameID).toBe(ad.upn);

    const atGoogle = await new SamlSignIn(passgate, browser).redirect(
      redirectQuery(
        authnRequest({
          id: '_google-ad-sso',
          issuer: 'google.com/a/example.com',
          destination: `${passgate.url}/saml/sso`,
          acs: 'https://www.google.com/a/example.com/acs',
        }),
      ),
    );
    const google = await consume(
      atGoogle.posted.samlResponse,
      atGoogle.posted.acsUrl,
      'google.com/a/example.com',
      'response',
    );
    expect(google.profile.nameID).toBe('saml.sso@example.com');

    const oidc = await SignIn.start(await passgate.rp(), browser);
    expect(oidc.asksPassword).toBe(false);
    const user = (await passgate.core.users.findByUsername('saml-sso'))!;
    expect(await oidc.claims()).toMatchObject({ sub: user.id, acr: ACR_MFA });

    // One session, answered three times from it without a page at Passgate.
    const reuses = await passgate.core.audit.recent({ type: 'session.reuse', userId: user.id });
    expect(reuses.map((e) => e.details.application).reverse()).toEqual(['salesforce', 'google', 'test-app']);
    expect(new Set(reuses.map((e) => e.details.session)).size).toBe(1);
  });
});
