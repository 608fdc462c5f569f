import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { deflateRawSync } from 'node:zlib';
import { SAML } from '@node-saml/node-saml';
import { makeSp, REDIRECT, signedLogoutRequestUrl, type TestSp } from '../saml/test-sps.js';

const page = (title: string, marker: string) =>
  `<!doctype html><html lang="en"><title>${title}</title><h1 ${marker}>${title}</h1></html>`;

/**
 * A SAML SP served on loopback for browser tests, as a real application behaves: `/start` posts
 * an AuthnRequest to Passgate, `/saml/acs` takes the response (node-saml checks it), `/logout`
 * starts a single logout with a signed LogoutRequest, `/saml/slo` answers Passgate's
 * LogoutRequests (node-saml checks and answers them) and takes its LogoutResponse.
 */
export class SamlSpHost {
  sp!: TestSp;
  url = '';
  /** The NameID and SessionIndex of the latest sign-in. */
  signedIn: { nameId: string; sessionIndex: string } | undefined;
  /** LogoutRequests Passgate sent this SP, and LogoutResponses it answered a logout of its own with. */
  readonly logouts = { requests: 0, responses: 0 };
  private server!: Server;
  private idpCert = '';
  private idpMetadata = '';
  private sequence = 0;

  constructor(
    private readonly name: string,
    private readonly passgateUrl: string,
  ) {}

  /** Listens on a free loopback port and makes the SP's keys; register {@link metadata} at Passgate next. */
  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: Error) => res.writeHead(500).end(error.message));
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    this.sp = await makeSp(this.name, REDIRECT, `${this.url}/saml`);
    return this;
  }

  /** Reads Passgate's metadata and certificate (once the SP is registered). */
  async trustPassgate(): Promise<void> {
    this.idpMetadata = await (await fetch(`${this.passgateUrl}/saml/metadata`)).text();
    const der = /<(?:\w+:)?X509Certificate>([^<]+)</.exec(this.idpMetadata)![1]!;
    this.idpCert = `-----BEGIN CERTIFICATE-----\n${der.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;
  }

  private saml() {
    return new SAML({
      issuer: this.sp.entityId,
      audience: this.sp.entityId,
      callbackUrl: `${this.sp.entityId}/acs`,
      idpCert: this.idpCert,
      idpIssuer: `${this.passgateUrl}/saml/metadata`,
      entryPoint: `${this.passgateUrl}/saml/sso`,
      logoutUrl: `${this.passgateUrl}/saml/slo`,
      privateKey: this.sp.privateKey,
      signatureAlgorithm: 'sha256',
      wantAssertionsSigned: false,
      wantAuthnResponseSigned: true,
      validateInResponseTo: 'never' as never,
      acceptedClockSkewMs: 120_000,
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', this.url);
    const html = (body: string) =>
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(body);
    if (url.pathname === '/start') {
      const xml =
        `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_sp${++this.sequence}${Date.now()}" Version="2.0" IssueInstant="${new Date().toISOString()}" Destination="${this.passgateUrl}/saml/sso" AssertionConsumerServiceURL="${this.sp.entityId}/acs">` +
        `<saml:Issuer>${this.sp.entityId}</saml:Issuer></samlp:AuthnRequest>`;
      const query = new URLSearchParams({ SAMLRequest: deflateRawSync(xml).toString('base64') });
      res.writeHead(302, { location: `${this.passgateUrl}/saml/sso?${query}` }).end();
      return;
    }
    if (url.pathname === '/saml/acs' && req.method === 'POST') {
      let body = '';
      for await (const chunk of req) body += chunk;
      const { profile } = await this.saml().validatePostResponseAsync(
        Object.fromEntries(new URLSearchParams(body)) as Record<string, string>,
      );
      this.signedIn = { nameId: profile!.nameID, sessionIndex: profile!.sessionIndex! };
      return html(page(`Signed in to ${this.name} as ${profile!.nameID}`, 'data-signed-in'));
    }
    if (url.pathname === '/logout' && this.signedIn) {
      const { url: location } = signedLogoutRequestUrl(
        this.passgateUrl,
        this.idpMetadata,
        this.sp,
        this.signedIn,
        'sp',
      );
      res.writeHead(302, { location }).end();
      return;
    }
    if (url.pathname === '/saml/slo' && url.searchParams.has('SAMLRequest')) {
      this.logouts.requests++;
      const query = url.search.slice(1);
      const { profile } = await this.saml().validateRedirectAsync(
        Object.fromEntries(url.searchParams),
        query,
      );
      const back = await this.saml().getLogoutResponseUrlAsync(
        profile!,
        url.searchParams.get('RelayState') ?? '',
        {},
        true,
      );
      res.writeHead(302, { location: back }).end();
      return;
    }
    if (url.pathname === '/saml/slo' && url.searchParams.has('SAMLResponse')) {
      this.logouts.responses++;
      const query = url.search.slice(1);
      const { loggedOut } = await this.saml().validateRedirectAsync(
        Object.fromEntries(url.searchParams),
        query,
      );
      return html(page(loggedOut ? `Signed out of ${this.name}` : 'Logout failed', 'data-sp-signed-out'));
    }
    res.writeHead(404).end();
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
