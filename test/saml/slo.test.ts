import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selfSignedCertifier } from '../../src/keys/certificate.js';
import type { PolicyServer } from '../policy/support.js';
import { formField } from '../support/browser.js';
import { newKeyPair } from '../support/key-pairs.js';
import { redirectQuery, startSamlServer } from './sso-support.js';
import { nodeSamlSp, xmlsecVerifyMessage } from './support.js';
import { POST, REDIRECT, redirectLogoutRequest } from './test-sps.js';

/** A key pair with its self-signed certificate (base64 DER). */
async function keyPair() {
  const pair = newKeyPair('rsa');
  const der = await selfSignedCertifier(() => ({
    commonName: 'sp.example.com',
    validityYears: 1,
    now: Date.now(),
  }))(pair);
  return { der, privateKey: pair.privatePem };
}

/** Metadata of an SP that signs its requests and has a single logout service. */
function spMetadata(entityId: string, der: string, slo: { binding: string; url: string }): string {
  return (
    `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="${entityId}">` +
    '<md:SPSSODescriptor AuthnRequestsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">' +
    `<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${der}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>` +
    `<md:SingleLogoutService Binding="${slo.binding}" Location="${slo.url}"/>` +
    `<md:AssertionConsumerService index="0" isDefault="true" Binding="${POST}" Location="https://${new URL(entityId).host}/acs"/>` +
    '</md:SPSSODescriptor></md:EntityDescriptor>'
  );
}

describe('SAML single logout at /saml/slo', () => {
  let passgate: PolicyServer;
  let idpCert: string;
  let idpMetadata: string;
  let sp: Awaited<ReturnType<typeof keyPair>>;
  let other: Awaited<ReturnType<typeof keyPair>>;

  beforeAll(async () => {
    passgate = await startSamlServer();
    sp = await keyPair();
    other = await keyPair();
    const folder = path.join(passgate.dataDir, 'metadata', 'saml');
    const files = {
      'redirector.xml': spMetadata('https://sp.example.com', sp.der, {
        binding: REDIRECT,
        url: 'https://sp.example.com/slo',
      }),
      'redirector.yaml': 'profile: generic\n',
      'poster.xml': spMetadata('https://post.example.com', sp.der, {
        binding: POST,
        url: 'https://post.example.com/slo',
      }),
      'poster.yaml': 'profile: generic\n',
      'google.yaml': 'profile: google\nlogoutRedirect: https://www.google.com/a/example.com/ServiceLogin\n',
    };
    for (const [name, text] of Object.entries(files)) writeFileSync(path.join(folder, name), text);
    await passgate.server.reload();
    idpMetadata = await (await fetch(`${passgate.url}/saml/metadata`)).text();
    const der = /<(?:\w+:)?X509Certificate>([^<]+)</.exec(idpMetadata)![1]!;
    idpCert = `-----BEGIN CERTIFICATE-----\n${der.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;
  }, 60_000);
  afterAll(() => passgate?.close());

  /** A LogoutRequest of the SP `entityId`, signed with `key`, by the HTTP-Redirect binding. */
  function signedLogoutUrl(entityId: string, key: string, relayState: string) {
    const metadata = spMetadata(entityId, sp.der, { binding: REDIRECT, url: `${entityId}/slo` });
    return redirectLogoutRequest(
      passgate.url,
      idpMetadata,
      { metadata, privateKey: key },
      { logoutNameID: 'alice@example.com' },
      relayState,
    );
  }

  const get = (url: string) => fetch(url, { redirect: 'manual' });

  it('answers a signed Redirect LogoutRequest with a signed LogoutResponse node-saml accepts', async () => {
    const { id, url } = signedLogoutUrl('https://sp.example.com', sp.privateKey, 'back-to/home?x=1');
    const res = await get(url);
    expect(res.status).toBe(303);
    const location = res.headers.get('location')!;
    expect(location.startsWith('https://sp.example.com/slo?SAMLResponse=')).toBe(true);
    const query = location.slice(location.indexOf('?') + 1);
    const params = Object.fromEntries(new URLSearchParams(query));
    expect(params.RelayState).toBe('back-to/home?x=1');
    const xml = inflateRawSync(Buffer.from(params.SAMLResponse!, 'base64')).toString('utf8');
    expect(xml).toContain(`InResponseTo="${id}"`);
    expect(xml).toContain('urn:oasis:names:tc:SAML:2.0:status:Success');
    const saml = nodeSamlSp({
      entityId: 'https://sp.example.com',
      acsUrl: 'https://sp.example.com/acs',
      idpCert,
      issuer: `${passgate.url}/saml/metadata`,
    });
    const { loggedOut } = await saml.validateRedirectAsync(params, query);
    expect(loggedOut).toBe(true);
    const [event] = await passgate.core.audit.recent({ type: 'saml.logout', limit: 1 });
    expect(event?.details).toMatchObject({ sp: 'redirector', requestId: id, nameId: 'alice@example.com' });

    const replayed = await get(url);
    expect(replayed.status).toBe(400);
    expect(await replayed.text()).toContain('data-code="SAML_REQUEST_REPLAYED"');
  });

  it('posts the LogoutResponse to an HTTP-POST single logout service; xmlsec1 verifies it', async () => {
    const { id, url } = signedLogoutUrl('https://post.example.com', sp.privateKey, 'r1');
    const res = await get(url);
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body).toContain('action="https://post.example.com/slo"');
    expect(formField(body, 'RelayState')).toBe('r1');
    const xml = Buffer.from(formField(body, 'SAMLResponse')!, 'base64').toString('utf8');
    expect(xml).toContain(`InResponseTo="${id}"`);
    xmlsecVerifyMessage(xml, idpCert, 'LogoutResponse');
  });

  it('refuses an unknown issuer and a forged signature', async () => {
    const unknown = await get(
      `${passgate.url}/saml/slo?${redirectQuery(
        '<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ' +
          `ID="_x1" Version="2.0" IssueInstant="${new Date().toISOString()}"><saml:Issuer>https://evil.example.com</saml:Issuer>` +
          '<saml:NameID>alice@example.com</saml:NameID></samlp:LogoutRequest>',
      )}`,
    );
    expect(unknown.status).toBe(403);
    expect(await unknown.text()).toContain('data-code="SAML_UNKNOWN_SP"');

    const forged = await get(signedLogoutUrl('https://sp.example.com', other.privateKey, 'r').url);
    expect(forged.status).toBe(403);
    expect(await forged.text()).toContain('data-code="SAML_SIGNATURE_INVALID"');
  });

  it('sends Google (a plain redirect) to its logoutRedirect, and shows a page without one; no audit row for a GET without a request', async () => {
    const before = await passgate.core.audit.recent({ type: 'saml.logout', limit: 1000 });
    for (let i = 0; i < 10; i++) {
      const google = await get(`${passgate.url}/saml/slo?sp=google`);
      expect(google.status).toBe(303);
      expect(google.headers.get('location')).toBe('https://www.google.com/a/example.com/ServiceLogin');
      const page = await get(`${passgate.url}/saml/slo?lang=de`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('Sie wurden abgemeldet.');
    }
    const after = await passgate.core.audit.recent({ type: 'saml.logout', limit: 1000 });
    expect(after.length).toBe(before.length);
  });

  it('refuses a signed Redirect LogoutRequest whose RelayState comes twice (400)', async () => {
    const { url } = signedLogoutUrl('https://sp.example.com', sp.privateKey, 'r2');
    const res = await get(`${url}&RelayState=injected`);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('data-code="SAML_PARAMETER_REPEATED"');
  });
});
