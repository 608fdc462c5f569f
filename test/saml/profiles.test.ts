import { DOMParser } from '@xmldom/xmldom';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { samlSchema } from '../../src/doors/saml/messages/schema-validator.js';
import type { User } from '../../src/store/repositories/users.js';
import {
  addAdUser,
  createSamlFixture,
  decode,
  nodeSamlSp,
  type SamlFixture,
  xmlsecVerify,
} from './support.js';

const SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';
const MULTIPLE_AUTHN = 'http://schemas.microsoft.com/claims/multipleauthn';
const PASSWORD = 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport';

/** Text of the first element with this local name in the assertion namespace. */
function text(xml: string, name: string): string | undefined {
  const doc = new DOMParser().parseFromString(xml, 'text/xml');
  return doc.getElementsByTagNameNS(SAML, name)[0]?.textContent ?? undefined;
}

function attribute(xml: string, element: string, name: string): string | null {
  const doc = new DOMParser().parseFromString(xml, 'text/xml');
  return doc.getElementsByTagNameNS(SAML, element)[0]?.getAttribute(name) ?? null;
}

/** Entra's AuthnRequest: POST, no ACS URL, no signature. */
function entraRequest(id: string, issueInstant: string): string {
  const xml =
    `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="${id}" Version="2.0" ` +
    `IssueInstant="${issueInstant}" xmlns="urn:oasis:names:tc:SAML:2.0:metadata">` +
    '<Issuer xmlns="urn:oasis:names:tc:SAML:2.0:assertion">urn:federation:MicrosoftOnline</Issuer>' +
    '<samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"/>' +
    '</samlp:AuthnRequest>';
  return Buffer.from(xml).toString('base64');
}

describe('SAML login responses per profile', () => {
  let fixture: SamlFixture;
  let user: User;

  beforeAll(async () => {
    fixture = await createSamlFixture();
    user = await addAdUser(fixture);
  });
  afterAll(() => fixture.close());

  it('loads the example service providers of metadata/saml without problems', () => {
    expect(fixture.door.registry.reload()).toEqual({
      providers: ['google', 'office365', 'salesforce'],
      problems: [],
    });
  });

  describe('Microsoft 365', () => {
    it('parses an Entra-shaped AuthnRequest (POST, no ACS URL, unsigned) into request info', async () => {
      const id = `_${'a'.repeat(32)}`;
      const request = await fixture.door.requests.validate(
        {
          binding: 'post',
          body: {
            SAMLRequest: entraRequest(id, new Date(fixture.clock()).toISOString()),
            RelayState: 'rs-1',
          },
        },
        fixture.clock(),
      );
      expect(request.sp.name).toBe('office365');
      expect(request.request).toEqual({
        id,
        acsUrl: 'https://login.microsoftonline.com/login.srf',
        relayState: 'rs-1',
      });
      expect(request.forceAuthn).toBe(false);
      expect(request.stepUp).toBeUndefined();
    });

    it('sends the ImmutableID as a persistent NameID, IDPEmail = UPN and multipleauthn after MFA, in a signed assertion', async () => {
      const sp = fixture.door.registry.named('office365')!;
      const response = await fixture.door.responses.build({
        user,
        sp,
        request: { id: '_req-o365', acsUrl: 'https://login.microsoftonline.com/login.srf', relayState: 'rs' },
        assurance: { mfa: true },
        now: fixture.clock(),
      });
      const xml = decode(response.samlResponse);
      xmlsecVerify(xml, fixture.certificatePem(), 'Assertion');
      expect(xml).not.toContain('AuthenticatingAuthority');
      const schema = await samlSchema();
      expect(() => schema.check(xml)).not.toThrow(); // SAML 2.0 protocol schema
      expect(xml).not.toMatch(/<ds:Signature[^>]*>(?:(?!<saml:Assertion).)*<\/ds:Signature><samlp:Status/); // response itself unsigned

      const saml = nodeSamlSp({
        entityId: 'urn:federation:MicrosoftOnline',
        acsUrl: 'https://login.microsoftonline.com/login.srf',
        idpCert: fixture.certificatePem(),
        wantAuthnResponseSigned: false,
      });
      const { profile } = await saml.validatePostResponseAsync({ SAMLResponse: response.samlResponse });
      expect(profile?.nameID).toBe(Buffer.from('00112233445566778899aabbccddeeff', 'hex').toString('base64'));
      expect(profile?.nameIDFormat).toBe('urn:oasis:names:tc:SAML:2.0:nameid-format:persistent');
      expect(profile?.IDPEmail).toBe('alice@example.com');
      expect(text(xml, 'Audience')).toBe('urn:federation:MicrosoftOnline');
      expect(attribute(xml, 'SubjectConfirmationData', 'Recipient')).toBe(
        'https://login.microsoftonline.com/login.srf',
      );
      expect(attribute(xml, 'SubjectConfirmationData', 'InResponseTo')).toBe('_req-o365');
      expect(text(xml, 'AuthnContextClassRef')).toBe(MULTIPLE_AUTHN);
      expect(response.relayState).toBe('rs');
    });

    it('says PasswordProtectedTransport without MFA', async () => {
      const response = await fixture.door.responses.build({
        user,
        sp: fixture.door.registry.named('office365')!,
        request: { id: '_req2', acsUrl: 'https://login.microsoftonline.com/login.srf' },
        assurance: { mfa: false },
        now: fixture.clock(),
      });
      expect(text(decode(response.samlResponse), 'AuthnContextClassRef')).toBe(PASSWORD);
    });
  });

  describe('Google Workspace', () => {
    it('sends the primary e-mail as an emailAddress NameID in a signed Response', async () => {
      const acsUrl = 'https://www.google.com/a/example.com/acs';
      const response = await fixture.door.responses.build({
        user,
        sp: fixture.door.registry.named('google')!,
        request: { id: '_req-google', acsUrl },
        assurance: { mfa: true },
        now: fixture.clock(),
      });
      const xml = decode(response.samlResponse);
      xmlsecVerify(xml, fixture.certificatePem(), 'Response');
      const saml = nodeSamlSp({
        entityId: 'google.com/a/example.com',
        acsUrl,
        idpCert: fixture.certificatePem(),
        wantAssertionsSigned: false,
      });
      const { profile } = await saml.validatePostResponseAsync({ SAMLResponse: response.samlResponse });
      expect(profile?.nameID).toBe('alice@example.com');
      expect(profile?.nameIDFormat).toBe('urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress');
      expect(text(xml, 'Audience')).toBe('google.com/a/example.com');
      expect(attribute(xml, 'SubjectConfirmationData', 'Recipient')).toBe(acsUrl);
      expect(attribute(xml, 'SubjectConfirmationData', 'InResponseTo')).toBe('_req-google');
      expect(text(xml, 'AuthnContextClassRef')).toBe(MULTIPLE_AUTHN);
    });
  });

  describe('Salesforce', () => {
    const acsUrl = 'https://example.my.salesforce.com?so=00D000000000001';

    it('sends the Federation ID as NameID and the JIT attributes, response and assertion signed', async () => {
      await fixture.close();
      fixture = await createSamlFixture({
        'salesforce.yaml': 'profile: salesforce\nsalesforceJit:\n  profileId: "00e000000000042"\n',
      });
      user = await addAdUser(fixture);
      const response = await fixture.door.responses.build({
        user,
        sp: fixture.door.registry.named('salesforce')!,
        request: { acsUrl },
        assurance: { mfa: false },
        now: fixture.clock(),
      });
      const xml = decode(response.samlResponse);
      xmlsecVerify(xml, fixture.certificatePem(), 'Response');
      xmlsecVerify(xml, fixture.certificatePem(), 'Assertion');
      const saml = nodeSamlSp({
        entityId: 'https://example.my.salesforce.com',
        acsUrl,
        idpCert: fixture.certificatePem(),
      });
      const { profile } = await saml.validatePostResponseAsync({ SAMLResponse: response.samlResponse });
      expect(profile?.nameID).toBe('alice@example.com');
      expect(profile?.nameIDFormat).toBe('urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified');
      expect(profile).toMatchObject({
        'User.Email': 'alice@example.com',
        'User.FirstName': 'Alice',
        'User.LastName': 'Martin',
        'User.Username': 'alice@example.com',
        'User.ProfileId': '00e000000000042',
      });
      expect(text(xml, 'Audience')).toBe('https://example.my.salesforce.com');
      expect(attribute(xml, 'SubjectConfirmationData', 'Recipient')).toBe(acsUrl);
      // IdP-initiated: no InResponseTo at all.
      expect(xml).not.toContain('InResponseTo');
      expect(text(xml, 'AuthnContextClassRef')).toBe(PASSWORD);
    });
  });
});
