import { deflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { samlify } from '../../src/doors/saml/signing/samlify.js';
import { selfSignedCertifier } from '../../src/keys/certificate.js';
import { WriteBatch } from '../../src/store/write-batch.js';
import { newKeyPair } from '../support/key-pairs.js';
import {
  addAdUser,
  createSamlFixture,
  decode,
  nodeSamlSp,
  PUBLIC_URL,
  type SamlFixture,
  xmlsecVerify,
} from './support.js';

const SSO = `${PUBLIC_URL}/saml/sso`;

/** An SP that signs its requests: its key, certificate and metadata. */
async function signingSp() {
  const pair = newKeyPair('rsa');
  const der = await selfSignedCertifier(() => ({
    commonName: 'sp.example.com',
    validityYears: 1,
    now: Date.now(),
  }))(pair);
  const privateKey = pair.privatePem;
  const acs = 'https://sp.example.com/acs';
  const metadata =
    '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="https://sp.example.com">' +
    '<md:SPSSODescriptor AuthnRequestsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">' +
    `<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${der}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>` +
    `<md:AssertionConsumerService index="0" isDefault="true" Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${acs}"/>` +
    '</md:SPSSODescriptor></md:EntityDescriptor>';
  return { der, privateKey, metadata, acs };
}

function authnRequest(fields: {
  id: string;
  issuer: string;
  acs?: string;
  instant?: string;
  extra?: string;
}): string {
  const acs = fields.acs ? ` AssertionConsumerServiceURL="${fields.acs}"` : '';
  return (
    `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${fields.id}" Version="2.0" IssueInstant="${fields.instant ?? new Date().toISOString()}" Destination="${SSO}"${acs}>` +
    `<saml:Issuer>${fields.issuer}</saml:Issuer>${fields.extra ?? ''}</samlp:AuthnRequest>`
  );
}

const post = (xml: string) => ({
  binding: 'post' as const,
  body: { SAMLRequest: Buffer.from(xml).toString('base64') },
});

describe('SAML security', () => {
  let fixture: SamlFixture;
  let sp: Awaited<ReturnType<typeof signingSp>>;

  beforeAll(async () => {
    sp = await signingSp();
    fixture = await createSamlFixture({ 'signer.xml': sp.metadata, 'signer.yaml': 'profile: generic\n' });
  });
  afterAll(() => fixture.close());

  const validate = (incoming: Parameters<SamlFixture['door']['requests']['validate']>[0]) =>
    fixture.door.requests.validate(incoming, fixture.clock());

  it('accepts a Redirect AuthnRequest signed by the SP, and refuses it when its signature is forged', async () => {
    const spEntity = samlify.ServiceProvider({ metadata: sp.metadata, privateKey: sp.privateKey });
    const idp = samlify.IdentityProvider({
      // The SP's view of Passgate: it signs because Passgate asks for it.
      metadata: fixture.door
        .metadata()
        .replace('WantAuthnRequestsSigned="false"', 'WantAuthnRequestsSigned="true"'),
    });
    const { context: url } = spEntity.createLoginRequest(idp, 'redirect', { relayState: 'state-1' });
    const rawQuery = url.slice(url.indexOf('?') + 1);
    const query = Object.fromEntries(new URLSearchParams(rawQuery));
    const ok = await validate({ binding: 'redirect', query, rawQuery });
    expect(ok.sp.name).toBe('signer');
    expect(ok.request.relayState).toBe('state-1');

    const other = await signingSp();
    const forgedSp = samlify.ServiceProvider({ metadata: sp.metadata, privateKey: other.privateKey });
    const { context: forgedUrl } = forgedSp.createLoginRequest(idp, 'redirect');
    const forgedRaw = forgedUrl.slice(forgedUrl.indexOf('?') + 1);
    await expect(
      validate({
        binding: 'redirect',
        query: Object.fromEntries(new URLSearchParams(forgedRaw)),
        rawQuery: forgedRaw,
      }),
    ).rejects.toMatchObject({ code: 'SAML_SIGNATURE_INVALID' });
  });

  it('refuses an unsigned AuthnRequest from an SP that signs (both bindings)', async () => {
    const xml = authnRequest({ id: '_unsigned1', issuer: 'https://sp.example.com' });
    await expect(validate(post(xml))).rejects.toMatchObject({ code: 'SAML_SIGNATURE_REQUIRED' });
    const query = { SAMLRequest: deflateRawSync(xml).toString('base64') };
    await expect(validate({ binding: 'redirect', query, rawQuery: '' })).rejects.toMatchObject({
      code: 'SAML_SIGNATURE_REQUIRED',
    });
  });

  it('refuses an ACS URL that is not in the metadata', async () => {
    const xml = authnRequest({
      id: '_acs1',
      issuer: 'google.com/a/example.com',
      acs: 'https://evil.example.net/acs',
    });
    await expect(validate(post(xml))).rejects.toMatchObject({ code: 'SAML_ACS_NOT_ALLOWED' });
  });

  it('refuses an unknown issuer', async () => {
    const xml = authnRequest({ id: '_unknown1', issuer: 'https://unknown.example.net' });
    await expect(validate(post(xml))).rejects.toMatchObject({ code: 'SAML_UNKNOWN_SP' });
  });

  it('refuses DOCTYPE and external entities before parsing', async () => {
    const xxe =
      '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>' +
      authnRequest({ id: '_xxe', issuer: '&xxe;' });
    await expect(validate(post(xxe))).rejects.toMatchObject({ code: 'SAML_DTD_FORBIDDEN' });
    const laughs = `<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>${authnRequest({ id: '_l', issuer: '&lol2;' })}`;
    await expect(validate(post(laughs))).rejects.toMatchObject({ code: 'SAML_DTD_FORBIDDEN' });
    const deflated = { SAMLRequest: deflateRawSync(xxe).toString('base64') };
    await expect(validate({ binding: 'redirect', query: deflated, rawQuery: '' })).rejects.toMatchObject({
      code: 'SAML_DTD_FORBIDDEN',
    });
  });

  it('refuses a replayed request ID within its lifetime', async () => {
    const xml = authnRequest({ id: '_replay1', issuer: 'google.com/a/example.com' });
    const first = await validate(post(xml));
    expect(first.request.acsUrl).toBe('https://www.google.com/a/example.com/acs');
    await first.claim.now();
    // Claimed once: the same request's second claim answers as the first did.
    await first.claim.now();
    await expect((await validate(post(xml))).claim.now()).rejects.toMatchObject({
      code: 'SAML_REQUEST_REPLAYED',
    });
  });

  it('stores the writes claimed with a request only when the claim wins', async () => {
    const record = (batch: WriteBatch, reason: string) =>
      fixture.core.audit.recordIn(batch, { type: 'test.claim', outcome: 'info', reason });
    const xml = authnRequest({ id: '_replay2', issuer: 'google.com/a/example.com' });
    const won = new WriteBatch();
    record(won, 'first');
    await (await validate(post(xml))).claim.with(won);
    const lost = new WriteBatch();
    record(lost, 'replayed');
    await expect((await validate(post(xml))).claim.with(lost)).rejects.toMatchObject({
      code: 'SAML_REQUEST_REPLAYED',
    });
    const events = await fixture.core.audit.recent({ type: 'test.claim' });
    expect(events.map((e) => e.reason)).toEqual(['first']);
  });

  it('refuses a request issued too long ago', async () => {
    const old = new Date(fixture.clock() - 3600_000).toISOString();
    const xml = authnRequest({ id: '_old1', issuer: 'google.com/a/example.com', instant: old });
    await expect(validate(post(xml))).rejects.toMatchObject({ code: 'SAML_REQUEST_EXPIRED' });
  });

  it('passes RequestedAuthnContext (multipleauthn) and ForceAuthn on for step-up', async () => {
    const xml = authnRequest({
      id: '_stepup1',
      issuer: 'urn:federation:MicrosoftOnline',
      extra:
        '<samlp:RequestedAuthnContext Comparison="minimum"><saml:AuthnContextClassRef>http://schemas.microsoft.com/claims/multipleauthn</saml:AuthnContextClassRef></samlp:RequestedAuthnContext>',
    }).replace('Version="2.0"', 'Version="2.0" ForceAuthn="true"');
    const request = await validate(post(xml));
    expect(request.stepUp).toBe('requested_authn_context');
    expect(request.forceAuthn).toBe(true);
  });

  it('escapes a displayName that tries to inject an attribute, and the signature still verifies', async () => {
    await fixture.close();
    fixture = await createSamlFixture({
      'google.yaml': 'profile: google\nattributes:\n  displayName: displayName\n',
    });
    const evil = 'Eve</saml:AttributeValue><saml:Attribute Name="x"><saml:AttributeValue>admin';
    const user = await addAdUser(fixture, { displayName: evil });
    const acsUrl = 'https://www.google.com/a/example.com/acs';
    const response = await fixture.door.responses.build({
      user,
      sp: fixture.door.registry.named('google')!,
      request: { id: '_esc', acsUrl },
      assurance: { mfa: false },
      now: fixture.clock(),
    });
    const xml = decode(response.samlResponse);
    expect(xml).toContain('Eve&lt;/saml:AttributeValue&gt;&lt;saml:Attribute Name="x"&gt;');
    expect(xml).not.toContain('<saml:Attribute Name="x">');
    xmlsecVerify(xml, fixture.certificatePem(), 'Response');
    const saml = nodeSamlSp({
      entityId: 'google.com/a/example.com',
      acsUrl,
      idpCert: fixture.certificatePem(),
      wantAssertionsSigned: false,
    });
    const { profile } = await saml.validatePostResponseAsync({ SAMLResponse: response.samlResponse });
    expect(profile?.displayName).toBe(evil);
    expect(profile?.x).toBeUndefined();
  });

  it('refuses to build a response to an ACS URL that is not in the metadata', async () => {
    const user = await fixture.core.users.findByUsername('alice');
    await expect(
      fixture.door.responses.build({
        user: user!,
        sp: fixture.door.registry.named('google')!,
        request: { acsUrl: 'https://evil.example.net/acs' },
        assurance: { mfa: false },
        now: fixture.clock(),
      }),
    ).rejects.toMatchObject({ code: 'SAML_ACS_NOT_ALLOWED' });
  });
});
