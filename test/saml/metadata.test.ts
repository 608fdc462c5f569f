import { X509Certificate } from 'node:crypto';
import { DOMParser } from '@xmldom/xmldom';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAML_KEY_PURPOSE } from '../../src/doors/saml/signing/signing-key.js';
import { startTestServer, type TestServer } from '../support/server.js';

const MD = 'urn:oasis:names:tc:SAML:2.0:metadata';

describe('IdP metadata at /saml/metadata', () => {
  let server: TestServer;
  let xml: string;

  beforeAll(async () => {
    server = await startTestServer({ config: { saml: { wantAuthnRequestsSigned: true } } });
    const response = await fetch(`${server.url}/saml/metadata`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('application/samlmetadata+xml');
    xml = await response.text();
  });
  afterAll(() => server.close());

  it('names the entity, SSO (Redirect and POST), SLO, the NameID formats and WantAuthnRequestsSigned', () => {
    const doc = new DOMParser().parseFromString(xml, 'text/xml');
    expect(doc.documentElement?.getAttribute('entityID')).toBe(`${server.url}/saml/metadata`);
    const idp = doc.getElementsByTagNameNS(MD, 'IDPSSODescriptor')[0]!;
    expect(idp.getAttribute('WantAuthnRequestsSigned')).toBe('true');
    const endpoints = (name: string) =>
      Array.from(doc.getElementsByTagNameNS(MD, name)).map((e) => [
        e.getAttribute('Binding'),
        e.getAttribute('Location'),
      ]);
    const bindings = (url: string) => [
      ['urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect', url],
      ['urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST', url],
    ];
    expect(endpoints('SingleSignOnService')).toEqual(bindings(`${server.url}/saml/sso`));
    expect(endpoints('SingleLogoutService')).toEqual(bindings(`${server.url}/saml/slo`));
    expect(Array.from(doc.getElementsByTagNameNS(MD, 'NameIDFormat')).map((e) => e.textContent)).toEqual([
      'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
      'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
      'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
      'urn:oasis:names:tc:SAML:2.0:nameid-format:transient',
    ]);
  });

  it('publishes a self-signed RSA-2048 certificate for the public host, valid ten years, of the stored key', async () => {
    const der = /<(?:\w+:)?X509Certificate>([^<]+)</.exec(xml)![1]!;
    const certificate = new X509Certificate(Buffer.from(der, 'base64'));
    expect(certificate.subject).toBe(`CN=${new URL(server.url).hostname}`);
    expect(certificate.verify(certificate.publicKey)).toBe(true);
    expect(certificate.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    const years =
      (Date.parse(certificate.validTo) - Date.parse(certificate.validFrom)) / (365.25 * 86400_000);
    expect(Math.round(years)).toBe(10);
    const [jwk] = await server.core.keys.privateJwks(SAML_KEY_PURPOSE);
    expect(certificate.publicKey.export({ format: 'jwk' }).n).toBe(jwk!.n);
  });

  it('a SAML SP library reads it (samlify as the SP side)', async () => {
    const { samlify } = await import('../../src/doors/saml/signing/samlify.js');
    const idp = samlify.IdentityProvider({ metadata: xml });
    expect(idp.getMetadata()).toContain(`${server.url}/saml/sso`);
  });
});
