import { randomBytes } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import { SAML } from '@node-saml/node-saml';
import { FlowError } from '../flows.js';
import { Browser, fillForm } from './browser.js';

/** The SP every SAML journey plays, on Passgate and on the peer alike (nothing listens there). */
export const BENCH_SP = {
  entityId: 'http://127.0.0.1:9999/sp',
  acsUrl: 'http://127.0.0.1:9999/acs',
  /** Its SP file asks for both signatures (the issue-14 journey: Response and Assertion signed). */
  assertionSigned: true,
} as const;

/** An SP the journeys play: where its responses go, and whether it wants the Assertion signed too. */
export type BenchSp = { entityId: string; acsUrl: string; assertionSigned: boolean };

/** Passgate's metadata files for {@link BENCH_SP}: a generic SP that wants Response and Assertion signed. */
export const BENCH_SP_FILES = {
  'bench-sp.xml':
    `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="${BENCH_SP.entityId}">` +
    '<md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">' +
    '<md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:transient</md:NameIDFormat>' +
    `<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${BENCH_SP.acsUrl}" index="0"/>` +
    '</md:SPSSODescriptor></md:EntityDescriptor>\n',
  'bench-sp.yaml': 'profile: generic\nsign: both\n',
};

/**
 * A second SP for the single sign-on hop: answered from the session the first SP's sign-in
 * started. A generic SP signed as its metadata asks (the "signed response"): its metadata
 * does not say WantAssertionsSigned, so the Response is signed and the Assertion inside it with it.
 */
export const BENCH_SP2 = {
  entityId: 'http://127.0.0.1:9999/sp2',
  acsUrl: 'http://127.0.0.1:9999/acs2',
  assertionSigned: false,
} as const;

/** Passgate's metadata files for {@link BENCH_SP2}: the same metadata, no `sign:` over it. */
export const BENCH_SP2_FILES = {
  'bench-sp2.xml': BENCH_SP_FILES['bench-sp.xml']
    .replace(BENCH_SP.entityId, BENCH_SP2.entityId)
    .replace(BENCH_SP.acsUrl, BENCH_SP2.acsUrl),
  'bench-sp2.yaml': 'profile: generic\n',
};

/** An IdP as the SAML journey sees it. */
export interface SamlIdp {
  /** Single sign-on service URL (HTTP-Redirect binding). */
  ssoUrl: string;
  /** Host names mapped to loopback (see {@link Browser}). */
  hosts?: Record<string, string>;
}

/**
 * One SP-initiated sign-in as a browser does it: the HTTP-Redirect AuthnRequest, redirects to the
 * IdP's password page, the form posted, redirects to the page that auto-posts the Response to the
 * ACS. Returns the Response XML after a cheap check (Success, two signatures, addressed to our ACS);
 * {@link verifySamlResponse} checks it fully.
 */
export async function samlSignIn(
  idp: SamlIdp,
  username: string,
  password: string,
  steps: Record<string, number> = {},
  browser = new Browser(idp.hosts),
): Promise<string> {
  let mark = performance.now();
  const lap = (step: string) => {
    const now = performance.now();
    steps[step] = now - mark;
    mark = now;
  };
  const query = new URLSearchParams({ SAMLRequest: authnRequest(idp.ssoUrl), RelayState: 'bench' });
  const page = await browser.get(`${idp.ssoUrl}?${query}`, 'sso');
  const login = fillForm(page, 'password', { username, password }, 'sso');
  lap('sso');
  const posted = await browser.post(login.action, login.form, 'loginPost');
  const response = fillForm(posted, 'SAMLResponse', {}, 'loginPost').form.SAMLResponse ?? '';
  lap('loginPost');
  return checkedResponse(response, BENCH_SP);
}

/**
 * A hop of single sign-on: the HTTP-Redirect AuthnRequest of {@link BENCH_SP2} from a browser that
 * signed in already, answered at once with the page that auto-posts the Response (no login page).
 */
export async function samlSsoHop(idp: SamlIdp, browser: Browser, steps: Record<string, number> = {}) {
  const started = performance.now();
  const query = new URLSearchParams({ SAMLRequest: authnRequest(idp.ssoUrl, BENCH_SP2), RelayState: 'hop' });
  const page = await browser.get(`${idp.ssoUrl}?${query}`, 'hop');
  const response = fillForm(page, 'SAMLResponse', {}, 'hop').form.SAMLResponse ?? '';
  steps.hop = performance.now() - started;
  return checkedResponse(response, BENCH_SP2);
}

/** The Response XML after a cheap check: Success, the signatures the SP wants, addressed to its ACS. */
function checkedResponse(response: string, sp: BenchSp): string {
  const xml = Buffer.from(response, 'base64').toString('utf8');
  const signatures = sp.assertionSigned ? 2 : 1;
  const problem = !/StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/.test(xml)
    ? 'status is not Success'
    : (xml.match(/<(?:ds:)?Signature[ >]/g) ?? []).length !== signatures
      ? `not exactly ${signatures} signature(s)`
      : !xml.includes(`Destination="${sp.acsUrl}"`)
        ? 'not addressed to the ACS'
        : undefined;
  if (problem) throw new FlowError('response', problem, xml.slice(0, 300));
  return xml;
}

/**
 * Verifies a Response as the SP would, with node-saml (not the IdP's own samlify): the Response
 * signature (and the Assertion's, when the SP wants it) by `certificatePem`, issuer, audience,
 * time conditions. Returns the NameID and the attributes.
 */
export async function verifySamlResponse(
  xml: string,
  idp: { issuer: string; certificatePem: string },
  as: BenchSp = BENCH_SP,
): Promise<{ nameID: string; attributes: Record<string, unknown> }> {
  const sp = new SAML({
    issuer: as.entityId,
    audience: as.entityId,
    callbackUrl: as.acsUrl,
    idpCert: idp.certificatePem,
    idpIssuer: idp.issuer,
    wantAssertionsSigned: as.assertionSigned,
    wantAuthnResponseSigned: true,
    validateInResponseTo: 'never' as never,
    acceptedClockSkewMs: 5000,
  });
  const { profile } = await sp.validatePostResponseAsync({
    SAMLResponse: Buffer.from(xml).toString('base64'),
  });
  if (!profile) throw new FlowError('response', 'no profile', 'node-saml accepted no assertion');
  const { nameID, issuer: _issuer, ...attributes } = profile;
  return { nameID, attributes };
}

/** The IdP's signing certificate in PEM, from its metadata document. */
export async function certificateFromMetadata(metadataUrl: string, hosts: Record<string, string> = {}) {
  const page = await new Browser(hosts).get(metadataUrl, 'metadata');
  const der = /<(?:\w+:)?X509Certificate>([^<]+)</.exec(page.reply.body)?.[1]?.replace(/\s+/g, '');
  if (!der) throw new Error(`no signing certificate in ${metadataUrl}`);
  return `-----BEGIN CERTIFICATE-----\n${der.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;
}

/** A deflated, base64 AuthnRequest from {@link BENCH_SP} asking for a POST to its ACS. */
function authnRequest(destination: string, sp: BenchSp = BENCH_SP): string {
  const id = `_${randomBytes(16).toString('hex')}`;
  const instant = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const xml =
    '<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"' +
    ` ID="${id}" Version="2.0" IssueInstant="${instant}" Destination="${destination}"` +
    ` AssertionConsumerServiceURL="${sp.acsUrl}" ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST">` +
    `<saml:Issuer>${sp.entityId}</saml:Issuer>` +
    '<samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:2.0:nameid-format:transient" AllowCreate="true"/>' +
    '</samlp:AuthnRequest>';
  return deflateRawSync(Buffer.from(xml)).toString('base64');
}
