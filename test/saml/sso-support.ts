import { cpSync } from 'node:fs';
import path from 'node:path';
import { deflateRawSync } from 'node:zlib';
import type { ConfigInput } from '../../src/config/schema.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { PASSWORD, type PolicyServer, startPolicyServer } from '../policy/support.js';
import { Browser, type Exchange, formAction, formField } from '../support/browser.js';
import type { Backend } from '../support/databases.js';

/** A Passgate server with the example SPs of metadata/saml, on a clock the test can move. */
export async function startSamlServer(config: ConfigInput = {}, backend?: Backend): Promise<PolicyServer> {
  const passgate = await startPolicyServer({ config, ...(backend ? { backend } : {}) });
  cpSync(path.join(PACKAGE_ROOT, 'metadata', 'saml'), path.join(passgate.dataDir, 'metadata', 'saml'), {
    recursive: true,
  });
  await passgate.server.reload();
  return passgate;
}

/** Gives a local user the directory attributes Microsoft 365 and Salesforce are sent. */
export async function giveAttributes(
  passgate: PolicyServer,
  userId: string,
  attributes: Record<string, string>,
) {
  await passgate.core.database.db
    .updateTable('users')
    .set({ attributes: JSON.stringify(attributes) })
    .where('id', '=', userId)
    .execute();
}

/** An AuthnRequest as SPs send it (unsigned). */
export function authnRequest(fields: {
  id: string;
  issuer: string;
  destination?: string;
  acs?: string;
  instant?: number;
  extra?: string;
  attributes?: string;
}): string {
  const destination = fields.destination ? ` Destination="${fields.destination}"` : '';
  const acs = fields.acs ? ` AssertionConsumerServiceURL="${fields.acs}"` : '';
  return (
    `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${fields.id}" Version="2.0" IssueInstant="${new Date(fields.instant ?? Date.now()).toISOString()}"${destination}${acs}${fields.attributes ?? ''}>` +
    `<saml:Issuer>${fields.issuer}</saml:Issuer>${fields.extra ?? ''}</samlp:AuthnRequest>`
  );
}

/** Entra ID's AuthnRequest: POST, no ACS URL, no Destination check needed, unsigned. */
export function entraRequest(id: string, instant: number): string {
  return (
    `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="${id}" Version="2.0" ` +
    `IssueInstant="${new Date(instant).toISOString()}" xmlns="urn:oasis:names:tc:SAML:2.0:metadata">` +
    '<Issuer xmlns="urn:oasis:names:tc:SAML:2.0:assertion">urn:federation:MicrosoftOnline</Issuer>' +
    '<samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"/>' +
    '</samlp:AuthnRequest>'
  );
}

/** The query of an unsigned HTTP-Redirect AuthnRequest. */
export function redirectQuery(xml: string, relayState?: string): string {
  const query = new URLSearchParams({ SAMLRequest: deflateRawSync(xml).toString('base64') });
  if (relayState !== undefined) query.set('RelayState', relayState);
  return query.toString();
}

/** What the auto-post page carries to the SP. */
export interface PostedResponse {
  acsUrl: string;
  samlResponse: string;
  relayState: string | undefined;
}

/**
 * One SAML sign-in driven through the hosted login by a browser: the SP's request, then each
 * page Passgate shows, until the auto-posting page that carries the response to the SP.
 */
export class SamlSignIn {
  page!: Exchange;

  constructor(
    readonly passgate: PolicyServer,
    readonly browser = new Browser(),
  ) {}

  /** HTTP-POST binding. */
  post(xml: string, relayState?: string): Promise<this> {
    const form: Record<string, string> = { SAMLRequest: Buffer.from(xml).toString('base64') };
    if (relayState !== undefined) form.RelayState = relayState;
    return this.go(`${this.passgate.url}/saml/sso`, { form });
  }

  /** HTTP-Redirect binding (`query` already encoded). */
  redirect(query: string): Promise<this> {
    return this.go(`${this.passgate.url}/saml/sso?${query}`);
  }

  /** IdP-initiated SSO. */
  idpInit(sp: string, relayState?: string): Promise<this> {
    const query = new URLSearchParams({
      sp,
      ...(relayState !== undefined ? { RelayState: relayState } : {}),
    });
    return this.go(`${this.passgate.url}/saml/idp-init?${query}`);
  }

  async go(url: string, init: Parameters<Browser['follow']>[1] = {}): Promise<this> {
    this.page = (await this.browser.follow(url, init)).last;
    return this;
  }

  /** The uid of the flow whose page is showing. */
  get uid(): string {
    const uid = /\/login\/([\w-]+)/.exec(this.page.url)?.[1];
    if (!uid) throw new Error(`not on a login page: ${this.page.status} ${this.page.url}`);
    return uid;
  }

  /** Posts the password form. */
  password(username: string, password = PASSWORD): Promise<this> {
    if (!this.page.body.includes('name="password"'))
      throw new Error(`no password page: ${this.page.status} ${this.page.body.slice(0, 300)}`);
    return this.go(formAction(this.page.body, this.page.url), {
      form: { _csrf: formField(this.page.body, '_csrf') ?? '', username, password },
    });
  }

  /** Posts a code on the second-factor page. */
  code(code: string): Promise<this> {
    if (!this.page.body.includes('name="code"'))
      throw new Error(`no second-factor page: ${this.page.status} ${this.page.body.slice(0, 300)}`);
    return this.go(formAction(this.page.body, this.page.url), {
      form: { _csrf: formField(this.page.body, '_csrf') ?? '', action: 'verify', code },
    });
  }

  /** The form of the auto-post page. */
  get posted(): PostedResponse {
    const samlResponse = formField(this.page.body, 'SAMLResponse');
    if (!samlResponse)
      throw new Error(`no SAML post page: ${this.page.status} ${this.page.body.slice(0, 400)}`);
    return {
      acsUrl: (/<form[^>]*action="([^"]+)"/.exec(this.page.body)?.[1] ?? '').replace(/&amp;/g, '&'),
      samlResponse,
      relayState: formField(this.page.body, 'RelayState'),
    };
  }
}
