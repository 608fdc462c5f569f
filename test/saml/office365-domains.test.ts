import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { User } from '../../src/store/repositories/users.js';
import { createSamlFixture, decode, nodeSamlSp, type SamlFixture, xmlsecVerify } from './support.js';

const ACS = 'https://login.microsoftonline.com/login.srf';
const ENTITY = 'urn:federation:MicrosoftOnline';
const ISSUERS = {
  'example.com': 'https://login.example.com/saml/example.com',
  'example.org': 'urn:passgate:example.org',
};

const OFFICE365_YAML = `profile: office365
issuer: https://idp.example.com/saml/default
issuerByDomain:
  example.com: ${ISSUERS['example.com']}
  example.org: ${ISSUERS['example.org']}
`;

/** An AD user whose UPN (or, without one, e-mail address) is `address`. */
async function adUser(fixture: SamlFixture, username: string, address: string, upn = true): Promise<User> {
  const guid = Buffer.from(`${username.padEnd(16, '0')}`.slice(0, 16)).toString('base64');
  const { user } = await fixture.core.users.upsertFromDirectory(
    {
      externalId: `${username}-guid`,
      username,
      dn: `CN=${username},DC=example,DC=com`,
      displayName: username,
      email: address,
      mobile: null,
      groups: [],
      disabled: false,
      attributes: { ...(upn ? { userPrincipalName: address } : {}), immutableId: guid },
    },
    'ad',
  );
  return user;
}

/** The Issuer of the Response and of its Assertion. */
function issuers(xml: string): string[] {
  return [...xml.matchAll(/<(?:\w+:)?Issuer[^>]*>([^<]+)</g)].map((m) => m[1]!);
}

describe('Microsoft 365: one issuer per federated domain', () => {
  let fixture: SamlFixture;

  beforeAll(async () => {
    fixture = await createSamlFixture({ 'office365.yaml': OFFICE365_YAML });
  });
  afterAll(() => fixture.close());

  async function respond(user: User) {
    const sp = fixture.door.registry.byEntityId(ENTITY)!;
    const now = fixture.core.clock();
    const response = await fixture.door.responses.build({
      user,
      sp,
      request: { id: '_entra1', acsUrl: ACS },
      assurance: { mfa: true },
      now,
    });
    return decode(response.samlResponse);
  }

  it('signs as the issuer of each user’s UPN domain; node-saml with that issuer accepts it', async () => {
    const users = [
      await adUser(fixture, 'alice', 'alice@example.com'),
      await adUser(fixture, 'olga', 'Olga@Sales.Example.ORG'),
    ];
    const expected = [ISSUERS['example.com'], ISSUERS['example.org']];
    for (const [i, user] of users.entries()) {
      const xml = await respond(user);
      expect(issuers(xml)).toEqual([expected[i], expected[i]]);
      xmlsecVerify(xml, fixture.certificatePem(), 'Assertion');
      const saml = nodeSamlSp({
        entityId: ENTITY,
        acsUrl: ACS,
        idpCert: fixture.certificatePem(),
        issuer: expected[i]!,
        wantAuthnResponseSigned: false,
        acceptedClockSkewMs: Math.abs(fixture.core.clock() - Date.now()) + 5000,
      });
      const { profile } = await saml.validatePostResponseAsync({
        SAMLResponse: Buffer.from(xml).toString('base64'),
      });
      // node-saml 5 compares idpIssuer on logout messages only: the issuer it read is checked here.
      expect(profile?.issuer).toBe(expected[i]);
    }
  });

  it('uses the e-mail domain without a UPN, and falls back to `issuer` for other domains', async () => {
    const noUpn = await adUser(fixture, 'eric', 'eric@example.org', false);
    expect(issuers(await respond(noUpn))[0]).toBe(ISSUERS['example.org']);
    const elsewhere = await adUser(fixture, 'finn', 'finn@example.net');
    expect(issuers(await respond(elsewhere))).toEqual([
      'https://idp.example.com/saml/default',
      'https://idp.example.com/saml/default',
    ]);
  });

  it('reports a bad map with the file and the key', async () => {
    const broken = await createSamlFixture({
      'office365.yaml': 'profile: office365\nissuerByDomain:\n  Example.COM: https://x.example\n',
      'salesforce.yaml': 'profile: salesforce\nissuerByDomain:\n  example.com: not a uri\n',
    });
    try {
      const { problems } = broken.door.registry.reload();
      const reasons = Object.fromEntries(problems.map((p) => [p.file.split('/').pop(), p.reason]));
      expect(reasons['office365.yaml']).toMatch(/issuerByDomain.*Example\.COM.*lower-case domain/);
      expect(reasons['salesforce.yaml']).toMatch(/issuerByDomain\.example\.com: must be an absolute URI/);
    } finally {
      await broken.close();
    }
  });
});
