import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SamlSchema, samlSchema } from '../../src/doors/saml/messages/schema-validator.js';
import { WARM_UP_VALID } from '../../src/doors/saml/messages/schema-warm-up.js';
import type { PolicyServer } from '../policy/support.js';
import { authnRequest, redirectQuery, SamlSignIn, startSamlServer } from './sso-support.js';
import { addAdUser, createSamlFixture, decode, type SamlFixture } from './support.js';

const GOOGLE = 'google.com/a/example.com';
const SAMLP = 'urn:oasis:names:tc:SAML:2.0:protocol';
const SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';

/**
 * AuthnRequests that are well-formed and carry what Passgate's own reader needs (ID, Version,
 * IssueInstant, one Issuer first), but that the SAML 2.0 protocol schema refuses.
 */
const schemaInvalid: Record<string, (id: string) => string> = {
  'an unknown element in the protocol namespace': (id) =>
    authnRequest({ id, issuer: GOOGLE, extra: '<samlp:Bogus/>' }),
  'an element of another namespace where the schema allows none': (id) =>
    authnRequest({ id, issuer: GOOGLE, extra: '<x:Bogus xmlns:x="urn:example:x"/>' }),
  'a duplicated Issuer': (id) =>
    authnRequest({ id, issuer: GOOGLE, extra: '<saml:Issuer>https://evil.example.net</saml:Issuer>' }),
  'a Subject with an element it does not declare': (id) =>
    authnRequest({
      id,
      issuer: GOOGLE,
      extra: '<saml:Subject><saml:NameID>alice</saml:NameID><saml:Bogus/></saml:Subject>',
    }),
  'elements out of order (NameIDPolicy before Subject)': (id) =>
    authnRequest({
      id,
      issuer: GOOGLE,
      extra:
        '<samlp:NameIDPolicy AllowCreate="true"/><saml:Subject><saml:NameID>alice</saml:NameID></saml:Subject>',
    }),
  'ForceAuthn that is not a boolean': (id) =>
    authnRequest({ id, issuer: GOOGLE, attributes: ' ForceAuthn="yes"' }),
  'IsPassive that is not a boolean': (id) =>
    authnRequest({ id, issuer: GOOGLE, attributes: ' IsPassive="maybe"' }),
  'an AttributeConsumingServiceIndex that is not an unsigned short': (id) =>
    authnRequest({ id, issuer: GOOGLE, attributes: ' AttributeConsumingServiceIndex="-1"' }),
  'an attribute the schema does not declare': (id) =>
    authnRequest({ id, issuer: GOOGLE, attributes: ' Evil="1"' }),
  'text inside the request element': (id) => authnRequest({ id, issuer: GOOGLE, extra: 'smuggled text' }),
  'an Assertion in Extensions that reuses the request’s ID (a wrapping shape)': (id) =>
    authnRequest({
      id,
      issuer: GOOGLE,
      extra: `<samlp:Extensions><saml:Assertion ID="${id}" Version="2.0" IssueInstant="2026-01-01T00:00:00Z"><saml:Issuer>${GOOGLE}</saml:Issuer></saml:Assertion></samlp:Extensions>`,
    }),
  'an ID that is not an NCName': () => authnRequest({ id: '1-starts-with-a-digit', issuer: GOOGLE }),
  'an xsi:type the Issuer cannot take': (id) =>
    authnRequest({
      id,
      issuer: GOOGLE,
      attributes: ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"',
    }).replace('<saml:Issuer>', '<saml:Issuer xsi:type="saml:AssertionType">'),
  'a Conditions NotBefore that is not a dateTime': (id) =>
    authnRequest({ id, issuer: GOOGLE, extra: '<saml:Conditions NotBefore="yesterday"/>' }),
};

/** Signature shapes Passgate's reader refuses first (SAML_SIGNATURE_INVALID); the schema refuses them too. */
const DS = 'xmlns:ds="http://www.w3.org/2000/09/xmldsig#"';
const wrappingShapes: Record<string, string> = {
  'a Signature after the request’s other children': authnRequest({
    id: '_w',
    issuer: GOOGLE,
    extra: `<samlp:NameIDPolicy AllowCreate="true"/><ds:Signature ${DS}/>`,
  }),
  'an empty Signature': authnRequest({ id: '_w', issuer: GOOGLE, extra: `<ds:Signature ${DS}/>` }),
  'two Signatures': authnRequest({
    id: '_w',
    issuer: GOOGLE,
    extra: `<ds:Signature ${DS}/><ds:Signature ${DS}/>`,
  }),
};

describe('SAML schema validation (libxml2, SAML 2.0 protocol schema)', () => {
  describe('the compiled schema', () => {
    let schema: SamlSchema;
    beforeAll(async () => {
      schema = await samlSchema();
    });

    it('accepts valid messages of each kind, and refuses each schema-invalid AuthnRequest with its reason', () => {
      for (const xml of WARM_UP_VALID) expect(() => schema.check(xml)).not.toThrow();
      const valid = authnRequest({ id: '_ok', issuer: GOOGLE });
      expect(schema.accepts(valid)).toBe(true);
      for (const [name, make] of Object.entries(schemaInvalid)) {
        expect(() => schema.check(make('_bad')), name).toThrow(/not valid against the SAML 2.0 schema/);
      }
      for (const [name, xml] of Object.entries(wrappingShapes)) {
        expect(() => schema.check(xml), name).toThrow(/not valid against the SAML 2.0 schema/);
      }
    });

    it('refuses a DTD, XML that is not well-formed, a parser warning and an unknown root', () => {
      const valid = authnRequest({ id: '_ok', issuer: GOOGLE });
      expect(() => schema.check(`<!DOCTYPE r [<!ENTITY x "y">]>${valid}`)).toThrow(
        /document type declaration/,
      );
      expect(() => schema.check(valid.replace('</samlp:AuthnRequest>', ''))).toThrow(/not well-formed/);
      // libxml2 only warns about XML 1.1; a warning is enough to refuse.
      expect(() => schema.check(`<?xml version="1.1"?>${valid}`)).toThrow(/parser warning/);
      for (const [name, xml] of Object.entries({
        'an undeclared prefix': valid.replace('<saml:Issuer>', '<saml:Issuer x:y="1">'),
        'an attribute twice': valid.replace('Version="2.0"', 'Version="2.0" Version="2.0"'),
        'two roots': `${valid}${valid}`,
        'elements nested deeper than 256': valid.replace(
          '</samlp:AuthnRequest>',
          `<samlp:Extensions>${'<x:e xmlns:x="urn:x">'.repeat(300)}${'</x:e>'.repeat(300)}</samlp:Extensions></samlp:AuthnRequest>`,
        ),
      })) {
        expect(() => schema.check(xml), name).toThrow(/not well-formed/);
      }
      expect(() => schema.check(`<samlp:Bogus xmlns:samlp="${SAMLP}"/>`)).toThrow(/SAML 2.0 schema/);
      expect(() => schema.check(`<saml:Unknown xmlns:saml="${SAML}"/>`)).toThrow(/SAML 2.0 schema/);
    });

    it('is compiled once per process: every SAML door gets the same instance', async () => {
      expect(await samlSchema()).toBe(schema);
    });

    it('retains nothing per validation: 2,000 messages add no listener and leave memory flat', () => {
      const messages = [...WARM_UP_VALID, ...Object.values(schemaInvalid).map((make) => make('_bad'))];
      const listeners = process.listeners('uncaughtException').length;
      const run = (count: number) => {
        for (let i = 0; i < count; i++) schema.accepts(messages[i % messages.length]!);
      };
      run(500); // libxml2's allocator reaches its working size
      const before = process.memoryUsage();
      run(2000);
      const after = process.memoryUsage();
      expect(process.listeners('uncaughtException').length).toBe(listeners);
      // The node-xmllint validator kept a 16 MB WebAssembly heap per message (≈1.4 MB resident).
      expect(after.rss - before.rss).toBeLessThan(16 * 1024 * 1024);
      expect(after.arrayBuffers - before.arrayBuffers).toBeLessThan(4 * 1024 * 1024);
    });

    it('refuses to start without its schema files', async () => {
      await expect(SamlSchema.compile('/nonexistent-xsd-folder')).rejects.toThrow(/ENOENT/);
    });
  });

  describe('in the door: what samlify trusts after it', () => {
    let fixture: SamlFixture;
    beforeAll(async () => {
      fixture = await createSamlFixture();
    });
    afterAll(() => fixture.close());

    it('accepts the responses Passgate builds (signed Response, LogoutResponse) against the schema', async () => {
      const schema = await samlSchema();
      const user = await addAdUser(fixture);
      for (const name of ['google', 'office365', 'salesforce']) {
        const sp = fixture.door.registry.named(name)!;
        const response = await fixture.door.responses.build({
          user,
          sp,
          request: { id: '_req', acsUrl: sp.acs[0]!.url, relayState: 'rs' },
          assurance: { mfa: true },
          now: fixture.clock(),
        });
        expect(() => schema.check(decode(response.samlResponse)), name).not.toThrow();
      }
      const logout = fixture.door.logoutResponses.build({
        sp: fixture.door.registry.named('google')!,
        endpoint: { binding: 'post', responseUrl: 'https://sp.example.com/slo' },
        inResponseTo: '_lr',
        relayState: undefined,
        now: fixture.clock(),
      });
      expect(logout.binding).toBe('post');
      if (logout.binding === 'post') expect(() => schema.check(decode(logout.samlResponse))).not.toThrow();
    });

    it('refuses a LogoutRequest with an unknown element or its NameID after a SessionIndex as malformed', async () => {
      const logoutRequest = (id: string, body: string) =>
        `<samlp:LogoutRequest xmlns:samlp="${SAMLP}" xmlns:saml="${SAML}" ID="${id}" Version="2.0" IssueInstant="${new Date(fixture.clock()).toISOString()}">` +
        `<saml:Issuer>${GOOGLE}</saml:Issuer>${body}</samlp:LogoutRequest>`;
      const nameId = '<saml:NameID>alice@example.com</saml:NameID>';
      const post = (xml: string) => ({
        binding: 'post' as const,
        body: { SAMLRequest: Buffer.from(xml).toString('base64') },
      });
      const ok = await fixture.door.logoutRequests.validate(
        post(logoutRequest('_lr-ok', nameId)),
        fixture.clock(),
      );
      expect(ok.sp.name).toBe('google');
      await expect(
        fixture.door.logoutRequests.validate(
          post(logoutRequest('_lr-bad', `${nameId}<samlp:Bogus/>`)),
          fixture.clock(),
        ),
      ).rejects.toMatchObject({ code: 'SAML_REQUEST_MALFORMED' });
      await expect(
        fixture.door.logoutRequests.validate(
          post(logoutRequest('_lr-bad2', `<samlp:SessionIndex>a</samlp:SessionIndex>${nameId}`)),
          fixture.clock(),
        ),
      ).rejects.toMatchObject({ code: 'SAML_REQUEST_MALFORMED' });
    });
  });

  describe('over HTTP at /saml/sso', () => {
    let passgate: PolicyServer;
    beforeAll(async () => {
      passgate = await startSamlServer();
    }, 60_000);
    afterAll(() => passgate?.close());

    it('signs in with the valid request (the control), by both bindings', async () => {
      for (const binding of ['post', 'redirect'] as const) {
        const xml = authnRequest({ id: `_${randomUUID()}`, issuer: GOOGLE });
        const signIn = new SamlSignIn(passgate);
        await (binding === 'post' ? signIn.post(xml) : signIn.redirect(redirectQuery(xml)));
        expect(signIn.page.body, binding).toContain('name="password"');
      }
    });

    for (const [name, make] of Object.entries(schemaInvalid)) {
      it(`refuses ${name} with 400 SAML_REQUEST_MALFORMED, by both bindings`, async () => {
        for (const binding of ['post', 'redirect'] as const) {
          const xml = make(`_${randomUUID()}`);
          const signIn = new SamlSignIn(passgate);
          await (binding === 'post' ? signIn.post(xml) : signIn.redirect(redirectQuery(xml)));
          expect(signIn.page.status, binding).toBe(400);
          expect(signIn.page.body, binding).toContain('data-code="SAML_REQUEST_MALFORMED"');
          expect(signIn.page.body, binding).not.toContain('name="password"');
        }
      });
    }

    it('refuses a DOCTYPE with an entity with 400 SAML_DTD_FORBIDDEN, by both bindings', async () => {
      const xml = `<!DOCTYPE r [<!ENTITY x "${GOOGLE}">]>${authnRequest({ id: `_${randomUUID()}`, issuer: '&x;' })}`;
      for (const binding of ['post', 'redirect'] as const) {
        const signIn = new SamlSignIn(passgate);
        await (binding === 'post' ? signIn.post(xml) : signIn.redirect(redirectQuery(xml)));
        expect(signIn.page.status, binding).toBe(400);
        expect(signIn.page.body, binding).toContain('data-code="SAML_DTD_FORBIDDEN"');
      }
    });
  });
});
