import { cpSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DOMParser } from '@xmldom/xmldom';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PolicyServer } from '../policy/support.js';
import { startTestServer } from '../support/server.js';
import { genericMetadata, idpCertificate, registerSp } from './generic-sp.js';
import {
  authnRequest,
  giveAttributes,
  type PostedResponse,
  SamlSignIn,
  startSamlServer,
} from './sso-support.js';
import { decode, nodeSamlSp, xmlsecVerify } from './support.js';

const ASSERTION = 'urn:oasis:names:tc:SAML:2.0:assertion';
const EMAIL = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';
const PERSISTENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent';
const PPT = 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport';
const REFEDS_MFA = 'https://refeds.org/profile/mfa';
const URI_FORMAT = 'urn:oasis:names:tc:SAML:2.0:attrname-format:uri';

const WIKI = 'https://wiki.example.org/saml';
const CRM = 'https://crm.example.org/saml';
const BOARD = 'https://board.example.org/saml';
const acsOf = (entityId: string) => `${entityId}/acs`;

/** The Attribute elements of an assertion: Name, NameFormat, FriendlyName and values. */
function attributesOf(xml: string) {
  const doc = new DOMParser().parseFromString(xml, 'text/xml');
  return Array.from(doc.getElementsByTagNameNS(ASSERTION, 'Attribute')).map((a) => ({
    name: a.getAttribute('Name'),
    nameFormat: a.getAttribute('NameFormat'),
    friendlyName: a.getAttribute('FriendlyName') || undefined,
    values: Array.from(a.getElementsByTagNameNS(ASSERTION, 'AttributeValue')).map((v) => v.textContent),
  }));
}

const classOf = (xml: string) =>
  new DOMParser()
    .parseFromString(xml, 'text/xml')
    .getElementsByTagNameNS(ASSERTION, 'AuthnContextClassRef')[0]?.textContent;

describe('SAML: the generic profile follows the SP metadata', () => {
  let passgate: PolicyServer;
  let idpCert: string;
  let counter = 0;

  beforeAll(async () => {
    passgate = await startSamlServer();
    await registerSp(
      passgate,
      'wiki',
      genericMetadata(WIKI, acsOf(WIKI), { wantAssertionsSigned: true, nameIdFormats: [EMAIL] }),
    );
    await registerSp(
      passgate,
      'crm',
      genericMetadata(CRM, acsOf(CRM), { nameIdFormats: ['urn:example:unknown-format', PERSISTENT, EMAIL] }),
    );
    await registerSp(
      passgate,
      'board',
      genericMetadata(BOARD, acsOf(BOARD), { wantAssertionsSigned: true, nameIdFormats: [PERSISTENT] }),
      [
        'profile: generic',
        'authnContext:',
        '  mfa: http://schemas.microsoft.com/claims/multipleauthn',
        'attributes:',
        '  mail: email',
        '  role: { value: member, friendlyName: Role }',
      ].join('\n'),
    );
    const tina = await passgate.addTotpUser('tina', {
      email: 'tina@example.com',
      displayName: 'Tina Turner',
      groups: ['Staff', 'Wiki Editors'],
    });
    await giveAttributes(passgate, tina.id, { givenName: 'Tina', sn: 'Turner' });
    await passgate.addUser('paul', 'correct horse battery', { email: 'paul@example.com' });
    idpCert = await idpCertificate(passgate);
  }, 60_000);
  afterAll(() => passgate?.close());

  /** One SP-initiated sign-in at `entityId` by `username` (TOTP when asked), consumed by node-saml. */
  async function signIn(
    server: PolicyServer,
    entityId: string,
    username: string,
    signs: 'both' | 'response',
  ) {
    const xml = authnRequest({
      id: `_gen${++counter}`,
      issuer: entityId,
      destination: `${server.url}/saml/sso`,
    });
    const flow = await new SamlSignIn(server).post(xml);
    await flow.password(username);
    if (flow.page.body.includes('name="code"')) await flow.code(server.totp());
    return consume(server, flow.posted, entityId, signs);
  }

  async function consume(
    server: PolicyServer,
    posted: PostedResponse,
    entityId: string,
    signs: 'both' | 'response',
  ) {
    const xml = decode(posted.samlResponse);
    xmlsecVerify(xml, idpCert, 'Response');
    if (signs === 'both') xmlsecVerify(xml, idpCert, 'Assertion');
    const saml = nodeSamlSp({
      entityId,
      acsUrl: posted.acsUrl,
      idpCert,
      issuer: `${server.url}/saml/metadata`,
      wantAssertionsSigned: signs === 'both',
      acceptedClockSkewMs: server.clock() - Date.now() + 5000,
    });
    const { profile } = await saml.validatePostResponseAsync({ SAMLResponse: posted.samlResponse });
    return { xml, profile: profile! };
  }

  it('WantAssertionsSigned and emailAddress: the assertion signed too, the e-mail as NameID, the standard attributes, REFEDS MFA', async () => {
    const { xml, profile } = await signIn(passgate, WIKI, 'tina', 'both');
    expect(profile.nameID).toBe('tina@example.com');
    expect(profile.nameIDFormat).toBe(EMAIL);
    expect(classOf(xml)).toBe(REFEDS_MFA);
    expect(attributesOf(xml)).toEqual([
      {
        name: 'urn:oid:0.9.2342.19200300.100.1.3',
        nameFormat: URI_FORMAT,
        friendlyName: 'mail',
        values: ['tina@example.com'],
      },
      {
        name: 'urn:oid:2.16.840.1.113730.3.1.241',
        nameFormat: URI_FORMAT,
        friendlyName: 'displayName',
        values: ['Tina Turner'],
      },
      { name: 'urn:oid:2.5.4.42', nameFormat: URI_FORMAT, friendlyName: 'givenName', values: ['Tina'] },
      { name: 'urn:oid:2.5.4.4', nameFormat: URI_FORMAT, friendlyName: 'sn', values: ['Turner'] },
      {
        name: 'urn:oid:1.3.6.1.4.1.5923.1.5.1.1',
        nameFormat: URI_FORMAT,
        friendlyName: 'isMemberOf',
        values: ['Staff', 'Wiki Editors'],
      },
    ]);
    expect(profile['urn:oid:0.9.2342.19200300.100.1.3']).toBe('tina@example.com');
    const [event] = await passgate.core.audit.recent({ type: 'saml.response', limit: 1 });
    expect(event!.details).toMatchObject({
      sp: 'wiki',
      nameIdFormat: 'emailAddress',
      authnContext: REFEDS_MFA,
    });
  });

  it('states PasswordProtectedTransport after the password alone', async () => {
    const { xml, profile } = await signIn(passgate, WIKI, 'paul', 'both');
    expect(profile.nameID).toBe('paul@example.com');
    expect(classOf(xml)).toBe(PPT);
  });

  it('persistent: a pairwise id, the same at each sign-in and from another server on the same database, another at another SP', async () => {
    const first = await signIn(passgate, CRM, 'tina', 'response');
    expect(first.profile.nameIDFormat).toBe(PERSISTENT);
    const pairwise = first.profile.nameID;
    expect(pairwise).toMatch(/^[\w-]{43}$/);
    expect(pairwise).not.toContain('tina');
    expect((await signIn(passgate, CRM, 'tina', 'response')).profile.nameID).toBe(pairwise);
    const elsewhere = await signIn(passgate, BOARD, 'tina', 'both');
    expect(elsewhere.profile.nameIDFormat).toBe(PERSISTENT);
    expect(elsewhere.profile.nameID).not.toBe(pairwise);

    // A second server process over the same database (a restart, another node) knows the same key.
    const other = (await startTestServer({
      databaseUrl: passgate.config.database.url,
      clock: passgate.clock,
      config: {
        secrets: { masterKey: readFileSync(path.join(passgate.dataDir, 'master.key'), 'utf8').trim() },
      },
    })) as PolicyServer;
    try {
      cpSync(path.join(passgate.dataDir, 'metadata', 'saml'), path.join(other.dataDir, 'metadata', 'saml'), {
        recursive: true,
      });
      await other.server.reload();
      Object.assign(other, { clock: passgate.clock, totp: passgate.totp });
      expect((await signIn(other, CRM, 'tina', 'response')).profile.nameID).toBe(pairwise);
    } finally {
      await other.close();
    }
  });

  it('takes the classes and attributes of the SP file over the defaults', async () => {
    const { xml } = await signIn(passgate, BOARD, 'tina', 'both');
    expect(classOf(xml)).toBe('http://schemas.microsoft.com/claims/multipleauthn');
    expect(attributesOf(xml)).toEqual([
      {
        name: 'mail',
        nameFormat: 'urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified',
        friendlyName: undefined,
        values: ['tina@example.com'],
      },
      {
        name: 'role',
        nameFormat: 'urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified',
        friendlyName: 'Role',
        values: ['member'],
      },
    ]);
  });

  it('refuses an SP file that would leave the assertion unsigned when the metadata wants it signed', async () => {
    await registerSp(
      passgate,
      'bad',
      genericMetadata('https://bad.example.org/saml', 'https://bad.example.org/acs', {
        wantAssertionsSigned: true,
      }),
      'profile: generic\nsign: response\n',
    );
    const line = passgate.logs.find(
      (l) => l.includes('SAML service provider ignored') && l.includes('bad.yaml'),
    );
    expect(line).toContain('WantAssertionsSigned');
  });
});
