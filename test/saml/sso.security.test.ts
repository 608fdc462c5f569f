import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { samlify } from '../../src/doors/saml/signing/samlify.js';
import { selfSignedCertifier } from '../../src/keys/certificate.js';
import type { PolicyServer } from '../policy/support.js';
import { newKeyPair } from '../support/key-pairs.js';
import { authnRequest, SamlSignIn, startSamlServer } from './sso-support.js';

/** An SP that signs its requests: its metadata (ACS on this server's own origin) and key. */
async function signingSp(acs: string) {
  const pair = newKeyPair('rsa');
  const der = await selfSignedCertifier(() => ({
    commonName: 'sp.example.com',
    validityYears: 1,
    now: Date.now(),
  }))(pair);
  const metadata =
    '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="https://sp.example.com">' +
    '<md:SPSSODescriptor AuthnRequestsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">' +
    `<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${der}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>` +
    `<md:AssertionConsumerService index="0" isDefault="true" Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${acs}"/>` +
    '</md:SPSSODescriptor></md:EntityDescriptor>';
  return { metadata, privateKey: pair.privatePem };
}

describe('SAML SSO endpoints: security', () => {
  let passgate: PolicyServer;
  let signedUrl: (relayState: string | undefined) => Promise<string>;

  beforeAll(async () => {
    passgate = await startSamlServer();
    const sp = await signingSp('https://sp.example.com/acs');
    const folder = path.join(passgate.dataDir, 'metadata', 'saml');
    writeFileSync(path.join(folder, 'signer.xml'), sp.metadata);
    writeFileSync(path.join(folder, 'signer.yaml'), 'profile: generic\n');
    await passgate.server.reload();
    const idpMetadata = await (await fetch(`${passgate.url}/saml/metadata`)).text();
    const idp = samlify.IdentityProvider({
      metadata: idpMetadata.replace('WantAuthnRequestsSigned="false"', 'WantAuthnRequestsSigned="true"'),
    });
    const spEntity = samlify.ServiceProvider({ metadata: sp.metadata, privateKey: sp.privateKey });
    signedUrl = async (relayState) => spEntity.createLoginRequest(idp, 'redirect', { relayState }).context;
  }, 60_000);
  afterAll(() => passgate?.close());

  it('checks a Redirect signature over the query string as sent, and refuses a changed RelayState', async () => {
    const url = await signedUrl('https://sp.example.com/deep?a=1&b=2');
    const ok = await new SamlSignIn(passgate).go(url);
    expect(ok.page.url).toMatch(/\/login\/[\w-]+$/);
    expect(ok.page.body).toContain('name="password"');

    const tampered = (await signedUrl('original')).replace('RelayState=original', 'RelayState=changed');
    const refused = await new SamlSignIn(passgate).go(tampered);
    expect(refused.page.status).toBe(403);
    expect(refused.page.body).toContain('data-code="SAML_SIGNATURE_INVALID"');
  });

  it('refuses a signed Redirect request with a repeated RelayState, SigAlg, Signature or SAMLRequest (400), and a repeated POST field', async () => {
    const url = await signedUrl('original');
    const samlRequest = /[?&](SAMLRequest=[^&]+)/.exec(url)![1]!;
    for (const extra of [
      'RelayState=injected',
      'Relay%53tate=injected',
      'SigAlg=x',
      'Signature=x',
      samlRequest,
    ]) {
      const res = await fetch(`${url}&${extra}`, { redirect: 'manual' });
      expect(res.status, extra).toBe(400);
      expect(await res.text()).toContain('data-code="SAML_PARAMETER_REPEATED"');
    }
    const xml = Buffer.from(authnRequest({ id: '_twice', issuer: 'google.com/a/example.com' })).toString(
      'base64',
    );
    const posted = await fetch(`${passgate.url}/saml/sso`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams([
        ['SAMLRequest', xml],
        ['RelayState', 'a'],
        ['RelayState', 'b'],
      ]).toString(),
      redirect: 'manual',
    });
    expect(posted.status).toBe(400);
    expect(await posted.text()).toContain('data-code="SAML_PARAMETER_REPEATED"');
  });

  it('refuses a RelayState added under a percent-encoded name to a signed Redirect request that had none (400)', async () => {
    const url = await signedUrl(undefined);
    expect(url).not.toContain('RelayState');
    for (const extra of ['Relay%53tate=injected', 'RelayStat%65=injected', '%52elayState=injected']) {
      const res = await fetch(`${url}&${extra}`, { redirect: 'manual' });
      expect(res.status, extra).toBe(400);
      expect(await res.text(), extra).toContain('data-code="SAML_REQUEST_MALFORMED"');
    }
    const ok = await new SamlSignIn(passgate).go(url);
    expect(ok.page.body).toContain('name="password"');
  });

  it('refuses an unsigned request from the SP that signs, and an ACS URL outside its metadata', async () => {
    const unsigned = await new SamlSignIn(passgate).post(
      authnRequest({ id: '_unsigned', issuer: 'https://sp.example.com' }),
    );
    expect(unsigned.page.body).toContain('data-code="SAML_SIGNATURE_REQUIRED"');
    const evil = await new SamlSignIn(passgate).post(
      authnRequest({ id: '_evil', issuer: 'google.com/a/example.com', acs: 'https://evil.example.net/acs' }),
    );
    expect(evil.page.status).toBe(400);
    expect(evil.page.body).toContain('data-code="SAML_ACS_NOT_ALLOWED"');
  });

  it('limits the size of a POSTed request (413)', async () => {
    const big = await fetch(`${passgate.url}/saml/sso`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `SAMLRequest=${'A'.repeat(70_000)}`,
    });
    expect(big.status).toBe(413);
  });

  it('serves the auto-post page under a CSP without inline script, and its script from /assets', async () => {
    const signIn = await new SamlSignIn(passgate).post(
      authnRequest({ id: '_passive', issuer: 'google.com/a/example.com', attributes: ' IsPassive="true"' }),
    );
    const csp = signIn.page.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(signIn.page.body).not.toMatch(/<script>|<script [^>]*>[^<]/);
    const script = await fetch(`${passgate.url}/assets/saml-post.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/javascript/);
  });
});
