import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { Browser, type Exchange, formAction, formField } from '../support/browser.js';
import { authorizationUrl } from '../support/relying-party.js';
import { startTestServer, TEST_CLIENT, type TestServer } from '../support/server.js';

const PUBLIC_URL = 'https://login.example.test';
const PASSWORD = 'correct horse battery';
const REDIRECT = TEST_CLIENT.redirect_uris[0]!;
const english = JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'locales/en/common.json'), 'utf8')) as {
  errors: Record<string, string>;
};

/** One request with exactly the Host header and request target given, as curl or an attacker sends them. */
function rawGet(port: number, target: string, host: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>(
    (resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port, path: target, setHost: false, headers: { host, ...headers } },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            body += chunk;
          });
          res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
        },
      );
      req.on('error', reject);
      req.end();
    },
  );
}

/** Every string of a JSON document that looks like a URL. */
function urlsIn(document: Record<string, unknown>): string[] {
  return Object.values(document).filter((v): v is string => typeof v === 'string' && /^\w+:\/\//.test(v));
}

/**
 * A browser reaching Passgate through a TLS-terminating reverse proxy that sends no
 * X-Forwarded-Proto: it asks for the public https URL, the request arrives over plain http.
 */
class BehindProxy extends Browser {
  readonly setCookies: string[] = [];

  constructor(private readonly backend: string) {
    super();
  }

  override async fetch(url: string, init: Parameters<Browser['fetch']>[1] = {}): Promise<Exchange> {
    const exchange = await super.fetch(url.replace(PUBLIC_URL, this.backend), init);
    this.setCookies.push(...exchange.headers.getSetCookie());
    return exchange;
  }
}

describe('the OIDC door answers for its public URL only', () => {
  let passgate: TestServer;
  let port: number;

  beforeAll(async () => {
    passgate = await startTestServer({ config: { server: { publicUrl: PUBLIC_URL } } });
    port = passgate.server.port;
    await passgate.addUser('alice', PASSWORD);
  });
  afterAll(() => passgate?.close());

  it('names only the public URL in discovery, whatever the Host header or request target', async () => {
    const discovery = '/.well-known/openid-configuration';
    for (const [target, host, headers] of [
      [discovery, 'evil.test', {}],
      [discovery, 'evil.test:8443', {}],
      [discovery, '', {}],
      [`http://evil.test${discovery}`, 'evil.test', {}],
      [discovery, 'evil.test', { 'x-forwarded-host': 'evil.test', 'x-forwarded-proto': 'http' }],
    ] as const) {
      const response = await rawGet(port, target, host, headers);
      expect(response.status, `${target} with Host ${host}`).toBe(200);
      const document = JSON.parse(response.body) as Record<string, unknown>;
      expect(document.issuer).toBe(PUBLIC_URL);
      expect(document).toMatchObject({
        authorization_endpoint: `${PUBLIC_URL}/oidc/auth`,
        token_endpoint: `${PUBLIC_URL}/oidc/token`,
        jwks_uri: `${PUBLIC_URL}/oidc/jwks`,
        userinfo_endpoint: `${PUBLIC_URL}/oidc/me`,
      });
      const urls = urlsIn(document);
      expect(urls.length).toBeGreaterThanOrEqual(8);
      for (const url of urls) expect(url.startsWith(`${PUBLIC_URL}/`) || url === PUBLIC_URL, url).toBe(true);
    }
  });

  it('refuses a malformed Host header with 400 and a clear page, without a stack trace', async () => {
    for (const host of ['[::1', 'evil.test:99999', 'a b', 'user@evil.test', '[not-an-address]']) {
      for (const target of [
        '/.well-known/openid-configuration',
        '/oidc/auth?client_id=test-app',
        '/oidc/token',
      ]) {
        const response = await rawGet(port, target, host);
        expect(response.status, `${target} with Host ${host}`).toBe(400);
        expect(response.headers['content-type']).toMatch(/^text\/html/);
        expect(response.headers['cache-control']).toBe('no-store');
        expect(response.body).toContain('data-code="BAD_HOST"');
        expect(response.body).toContain(english.errors.BAD_HOST!);
        expect(response.body).not.toMatch(/\bat .+:\d+:\d+|node_modules|TypeError/);
      }
    }
    // Well-formed names and addresses, with or without a port, are answered.
    for (const host of [
      `127.0.0.1:${port}`,
      `[::1]:${port}`,
      'login.example.test',
      'LOGIN.example.test:443',
    ]) {
      expect((await rawGet(port, '/.well-known/openid-configuration', host)).status, host).toBe(200);
    }
    expect(passgate.logs.some((line) => line.includes('"level":50') && line.includes('BAD_HOST'))).toBe(
      false,
    );
  });

  it('marks every cookie Secure under an https public URL, behind a proxy that sends no X-Forwarded-Proto', async () => {
    const browser = new BehindProxy(`http://127.0.0.1:${port}`);
    const page = (await browser.follow(authorizationUrl(PUBLIC_URL))).last;
    expect(page.status).toBe(200);
    const done = await browser.follow(
      formAction(page.body, page.url),
      { form: { _csrf: formField(page.body, '_csrf')!, username: 'alice', password: PASSWORD } },
      (location) => location.startsWith(REDIRECT),
    );
    expect(new URL(done.location!).searchParams.get('code')).toBeTruthy();
    const names = browser.setCookies.map((cookie) => cookie.split('=')[0]);
    expect(names).toEqual(expect.arrayContaining(['_interaction', '_interaction_resume', '_session']));
    for (const cookie of browser.setCookies) expect(cookie, cookie).toMatch(/;\s*secure\b/i);
    // The redirects oidc-provider built point at the public URL, not at the address it was reached on.
    expect(done.hops.filter((hop) => hop.includes('/oidc/')).every((hop) => hop.startsWith(PUBLIC_URL))).toBe(
      true,
    );
  });
});
