import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { User } from '../../src/store/repositories/users.js';
import { addAdUser, createSamlFixture, decode, nodeSamlSp, type SamlFixture } from './support.js';

const ACS = 'https://crm.example.com/saml/acs';
const ENTITY = 'https://crm.example.com/saml';

/** An SP key pair and self-signed certificate made by openssl, as an SP administrator would. */
function spKeyPair(): { key: string; certificate: string } {
  const folder = mkdtempSync(path.join(os.tmpdir(), 'passgate-sp-key-'));
  const [key, certificate] = [path.join(folder, 'key.pem'), path.join(folder, 'cert.pem')];
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      certificate,
      '-days',
      '2',
      '-subj',
      '/CN=crm.example.com',
    ],
    { stdio: 'ignore' },
  );
  return { key: readFileSync(key, 'utf8'), certificate: readFileSync(certificate, 'utf8') };
}

/** SP metadata publishing an encryption key. */
function metadataWithEncryptionKey(certificate: string): string {
  const der = certificate.replace(/-----[^-]+-----|\s/g, '');
  return `<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="${ENTITY}">
  <md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="encryption"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${der}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:AssertionConsumerService index="1" Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${ACS}"/>
  </md:SPSSODescriptor>
</md:EntityDescriptor>
`;
}

describe('encrypted assertions', () => {
  let fixture: SamlFixture;
  let user: User;
  const sp = spKeyPair();

  beforeAll(async () => {
    fixture = await createSamlFixture({
      'crm.xml': metadataWithEncryptionKey(sp.certificate),
      'crm.yaml': 'profile: generic\nsign: assertion\nencryptAssertion: true\n',
      'plain.xml': metadataWithEncryptionKey(sp.certificate)
        .replace(/<md:KeyDescriptor[\s\S]*?<\/md:KeyDescriptor>/, '')
        .replace(ENTITY, `${ENTITY}/plain`),
      'plain.yaml': 'profile: generic\nsign: assertion\nencryptAssertion: true\n',
      'both.xml': metadataWithEncryptionKey(sp.certificate).replace(ENTITY, `${ENTITY}/both`),
      'both.yaml': 'profile: generic\nsign: both\nencryptAssertion: true\n',
    });
    user = await addAdUser(fixture);
  });
  afterAll(() => fixture?.close());

  it('encrypts the assertion with the key the SP publishes, and the SP decrypts and verifies it', async () => {
    const response = await fixture.door.responses.build({
      user,
      sp: fixture.door.registry.named('crm')!,
      request: { id: '_req-crm', acsUrl: ACS },
      assurance: { mfa: true },
      now: fixture.clock(),
    });
    const xml = decode(response.samlResponse);
    expect(xml).toContain('EncryptedAssertion');
    expect(xml).not.toContain('alice'); // nothing of the user in clear
    const saml = nodeSamlSp({
      entityId: ENTITY,
      acsUrl: ACS,
      idpCert: fixture.certificatePem(),
      wantAuthnResponseSigned: false,
    });
    (saml.options as { decryptionPvk?: string }).decryptionPvk = sp.key;
    const { profile } = await saml.validatePostResponseAsync({ SAMLResponse: response.samlResponse });
    expect(profile?.nameID).toBe('alice');
  });

  it('refuses to load an SP that asks for encryption without publishing a key, and keeps the others', () => {
    const { providers, problems } = fixture.door.registry.reload();
    expect(providers).toContain('crm');
    expect(providers).not.toContain('plain');
    expect(problems.map((p) => path.basename(p.file))).toContain('plain.yaml');
  });

  it('refuses a response signature over an encrypted assertion with a clear reason', () => {
    const { providers, problems } = fixture.door.registry.reload();
    expect(providers).not.toContain('both');
    const problem = problems.find((p) => path.basename(p.file).startsWith('both.'));
    expect(problem?.reason).toMatch(/sign must be "assertion" with an encrypted assertion \(not "both"\)/);
  });
});
