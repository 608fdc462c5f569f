import { DOMParser, type Element } from '@xmldom/xmldom';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExclusiveCanonicalization } from 'xml-crypto';
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

const ASSERTION = 'urn:oasis:names:tc:SAML:2.0:assertion';
const PROTOCOL = 'urn:oasis:names:tc:SAML:2.0:protocol';
const ACS = 'https://sp.example.com/acs?a=1&b=<2>';
/** Values that need escaping, line ends a parser normalises, and text outside ASCII. */
const AWKWARD = 'Zoë & <Co> "quoted" \'single\' a\r\nb\rc ✓';

const parse = (xml: string) => new DOMParser().parseFromString(xml, 'text/xml');

/** The exclusive canonical form (xml-crypto's, as SPs compute it) of an element. */
function canonical(node: Element): string {
  return new ExclusiveCanonicalization().process(node, {}).toString();
}

describe('login responses written in canonical form', () => {
  let fixture: SamlFixture;
  let user: User;

  beforeAll(async () => {
    fixture = await createSamlFixture({
      'awkward.xml':
        '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://sp.example.com/awkward">' +
        '<md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">' +
        `<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${ACS.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')}" index="0"/>` +
        '</md:SPSSODescriptor></md:EntityDescriptor>',
      'awkward.yaml':
        'profile: generic\nsign: both\nnameId:\n  format: unspecified\n  source: displayName\n' +
        'attributes:\n  urn:oid:2.5.4.3: { from: [displayName], friendlyName: cn }\n  groups: { from: [groups] }\n',
    });
    user = await addAdUser(fixture, { displayName: AWKWARD });
  }, 60_000);
  afterAll(() => fixture?.close());

  const build = (spName: string, request: { id?: string; acsUrl: string }) =>
    fixture.door.responses.build({
      user,
      sp: fixture.door.registry.named(spName)!,
      request,
      assurance: { mfa: false },
      now: fixture.clock(),
    });

  it('is its own exclusive canonical form, so both signatures verify (xmlsec1, node-saml)', async () => {
    const response = await build('awkward', { id: '_req-awkward', acsUrl: ACS });
    const xml = decode(response.samlResponse);
    const document = parse(xml);
    expect(canonical(document.documentElement!)).toBe(xml);
    xmlsecVerify(xml, fixture.certificatePem(), 'Response');
    xmlsecVerify(xml, fixture.certificatePem(), 'Assertion');
    await (await samlSchema()).validate(xml);

    const saml = nodeSamlSp({
      entityId: 'https://sp.example.com/awkward',
      acsUrl: ACS,
      idpCert: fixture.certificatePem(),
      issuer: `${'https://idp.example.com'}/saml/metadata`,
      wantAssertionsSigned: true,
      wantAuthnResponseSigned: true,
      acceptedClockSkewMs: fixture.clock() - Date.now() + 5000,
    });
    const { profile } = await saml.validatePostResponseAsync({ SAMLResponse: response.samlResponse });
    // The values a parser reads are the user's, line ends normalised as XML parsers do.
    const expected = AWKWARD.replace(/\r\n?/g, '\n');
    expect(profile!.nameID).toBe(expected);
    expect(profile!['urn:oid:2.5.4.3']).toBe(expected);
    expect(profile!.groups).toEqual(['Staff', 'Sales']);
  });

  it('keeps the elements, attributes and order of the response template', async () => {
    const xml = decode((await build('awkward', { id: '_req-order', acsUrl: ACS })).samlResponse);
    const root = parse(xml).documentElement!;
    const names = (parent: Element) =>
      Array.from(parent.childNodes)
        .filter((n): n is Element => n.nodeType === 1)
        .map((e) => e.localName);
    expect(root.namespaceURI).toBe(PROTOCOL);
    expect(names(root)).toEqual(['Issuer', 'Signature', 'Status', 'Assertion']);
    expect(root.getAttribute('Destination')).toBe(ACS);
    expect(root.getAttribute('InResponseTo')).toBe('_req-order');
    const assertion = root.getElementsByTagNameNS(ASSERTION, 'Assertion')[0]!;
    expect(names(assertion)).toEqual([
      'Issuer',
      'Signature',
      'Subject',
      'Conditions',
      'AuthnStatement',
      'AttributeStatement',
    ]);
    const attributes = Array.from(assertion.getElementsByTagNameNS(ASSERTION, 'Attribute')).map((a) => ({
      name: a.getAttribute('Name'),
      nameFormat: a.getAttribute('NameFormat'),
      friendlyName: a.getAttribute('FriendlyName'),
    }));
    expect(attributes).toEqual([
      {
        name: 'urn:oid:2.5.4.3',
        nameFormat: 'urn:oasis:names:tc:SAML:2.0:attrname-format:uri',
        friendlyName: 'cn',
      },
      {
        name: 'groups',
        nameFormat: 'urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified',
        friendlyName: null,
      },
    ]);
    const confirmation = assertion.getElementsByTagNameNS(ASSERTION, 'SubjectConfirmationData')[0]!;
    expect(confirmation.getAttribute('Recipient')).toBe(ACS);
    expect(confirmation.getAttribute('InResponseTo')).toBe('_req-order');
  });

  it('leaves InResponseTo out for IdP-initiated SSO and signs only what the SP asks for', async () => {
    const xml = decode(
      (await build('google', { acsUrl: 'https://www.google.com/a/example.com/acs' })).samlResponse,
    );
    expect(xml).not.toContain('InResponseTo');
    expect(xml.match(/<ds:Signature /g)).toHaveLength(1);
    expect(canonical(parse(xml).documentElement!)).toBe(xml);
    xmlsecVerify(xml, fixture.certificatePem(), 'Response');
  });
});
