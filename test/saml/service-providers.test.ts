import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SAML_ALGORITHMS,
  SAML_KEY_PURPOSE,
  samlCertifier,
} from '../../src/doors/saml/signing/signing-key.js';
import { createSamlFixture, PUBLIC_URL, type SamlFixture } from './support.js';

describe('SAML service providers and the signing key', () => {
  let fixture: SamlFixture;

  beforeAll(async () => {
    fixture = await createSamlFixture({
      'broken.xml': '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x">',
      'broken.yaml': 'profile: generic\n',
      'encrypted.xml': (await import('node:fs'))
        .readFileSync('metadata/saml/google.xml', 'utf8')
        .replace('google.com/a/example.com', 'https://encrypted.example.com'),
      'encrypted.yaml': 'profile: google\nencryptAssertion: true\n',
      'typo.xml': (await import('node:fs'))
        .readFileSync('metadata/saml/google.xml', 'utf8')
        .replace('google.com/a/example.com', 'https://typo.example.com'),
      'typo.yaml': 'profile: google\nsign: everything\n',
      'orphan.yaml': 'profile: generic\n',
    });
  });
  afterAll(() => fixture.close());

  it('reports each broken file with its name and reason, and keeps the others', () => {
    const { providers, problems } = fixture.door.registry.reload();
    expect(providers).toEqual(['google', 'office365', 'salesforce']);
    const reasons = Object.fromEntries(problems.map((p) => [p.file.split('/').pop(), p.reason]));
    expect(reasons['broken.yaml']).toMatch(/XML/);
    expect(reasons['encrypted.yaml']).toMatch(/encryptAssertion: the SP metadata has no encryption key/);
    expect(reasons['typo.yaml']).toMatch(/^sign: /);
    expect(reasons['orphan.yaml']).toMatch(/metadata \(\.xml\) is missing/);
  });

  it('switches to a rotated key: the metadata publishes the new certificate', async () => {
    const before = fixture.certificatePem();
    expect(await fixture.door.refreshKeys()).toBe(false);
    await fixture.core.keys.rotate(
      SAML_KEY_PURPOSE,
      SAML_ALGORITHMS,
      0,
      samlCertifier(PUBLIC_URL, 10, fixture.clock),
    );
    fixture.clock.advance(1);
    expect(await fixture.door.refreshKeys()).toBe(true);
    expect(fixture.certificatePem()).not.toBe(before);
  });
});
