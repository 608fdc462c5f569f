// A Microsoft 365 sign-in over SAML with a user of the real Samba AD DC: the password is checked
// by an AD bind, the second factor is a TOTP token, and the NameID is the ImmutableID that
// ldapsearch prints for the user's objectGUID.
import { DOMParser } from '@xmldom/xmldom';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { enrolOath } from '../../src/tokens/enrol.js';
import { timeStep, totpCode } from '../../src/tokens/oath.js';
import type { PolicyServer } from '../policy/support.js';
import { adDirectoryConfig } from '../support/ad.js';
import { attr, createUser, DEFAULT_PASSWORD, holdDc, ldapsearch, requireDc } from '../support/samba-dc.js';
import { entraRequest, SamlSignIn, startSamlServer } from './sso-support.js';
import { decode, nodeSamlSp, xmlsecVerify } from './support.js';

const dc = requireDc(inject('samba'));
const ASSERTION = 'urn:oasis:names:tc:SAML:2.0:assertion';
const SECRET = Buffer.from('AD-user TOTP secret 20b');

describe('Microsoft 365 over SAML with an Active Directory user', () => {
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

  it('binds to AD, asks the TOTP code, and sends the objectGUID as a persistent NameID with the UPN as IDPEmail', async () => {
    const ad = await createUser(dc, { sam: 'saml-m365', displayName: 'Mia Rossi' });
    const [entry] = await ldapsearch(dc, '(sAMAccountName=saml-m365)', ['objectGUID']);
    const immutableId = attr(entry!, 'objectGUID')!;
    // The user is known to Passgate after a first AD sign-in (or a sync); then a token is enrolled.
    const user = await passgate.core.directory.authenticate('saml-m365', DEFAULT_PASSWORD);
    await enrolOath(
      passgate.core.tokens,
      { userId: user.id, label: 'saml-m365', type: 'totp', secret: SECRET },
      'Passgate',
    );

    const signIn = await new SamlSignIn(passgate).post(entraRequest('_entra-ad-1', Date.now()), 'ad-state');
    // A wrong AD password is refused by the bind, with the generic message.
    await signIn.password('saml-m365', 'not the password');
    expect(signIn.page.status).toBe(401);
    await signIn.password(ad.upn, DEFAULT_PASSWORD);
    passgate.clock.advance(30_000);
    await signIn.code(totpCode(SECRET, timeStep(passgate.clock(), 30), 30, { algorithm: 'SHA1', digits: 6 }));

    const posted = signIn.posted;
    expect(posted.acsUrl).toBe('https://login.microsoftonline.com/login.srf');
    expect(posted.relayState).toBe('ad-state');
    const xml = decode(posted.samlResponse);
    xmlsecVerify(xml, idpCert, 'Assertion');
    const sp = nodeSamlSp({
      entityId: 'urn:federation:MicrosoftOnline',
      acsUrl: posted.acsUrl,
      idpCert,
      issuer: `${passgate.url}/saml/metadata`,
      wantAssertionsSigned: true,
      wantAuthnResponseSigned: false,
      acceptedClockSkewMs: passgate.clock() - Date.now() + 5000,
    });
    const { profile } = await sp.validatePostResponseAsync({ SAMLResponse: posted.samlResponse });
    expect(profile!.nameID).toBe(immutableId);
    expect(profile!.nameIDFormat).toBe('urn:oasis:names:tc:SAML:2.0:nameid-format:persistent');
    expect(profile!.IDPEmail).toBe(ad.upn);
    const document = new DOMParser().parseFromString(xml, 'text/xml');
    const classRef = document.getElementsByTagNameNS(ASSERTION, 'AuthnContextClassRef')[0]?.textContent;
    expect(classRef).toBe('http://schemas.microsoft.com/claims/multipleauthn');
    const [login] = await passgate.core.audit.recent({ type: 'login', limit: 1 });
    expect(login).toMatchObject({
      outcome: 'success',
      username: 'saml-m365',
      details: { door: 'saml', application: 'office365', method: 'totp' },
    });
  });
});
