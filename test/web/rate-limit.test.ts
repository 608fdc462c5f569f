import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, formAction, formField } from '../support/browser.js';
import { authorizationUrl, discover, loginWithCode } from '../support/relying-party.js';
import { startTestServer, type TestServer } from '../support/server.js';

// The per-address limits through the real server: small buckets (3 at once, then 1 a minute) so
// that a handful of requests reaches them; addresses come through X-Forwarded-For from loopback.

const BURST = 3;
const MAX_ADDRESSES = 100;
const LIMITS = {
  maxAddresses: MAX_ADDRESSES,
  signInStart: { perMinute: 1, burst: BURST },
  login: { perMinute: 1, burst: BURST },
};

const from = (address: string, headers: Record<string, string> = {}) => ({
  headers: { 'x-forwarded-for': address, ...headers },
});

async function metric(passgate: TestServer, name: string, entry: string): Promise<number | undefined> {
  const text = await (await fetch(`${passgate.server.metricsUrl}/metrics`)).text();
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${name}{entry="${entry}"}`));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

describe('per-address rate limits behind a trusted proxy', () => {
  let passgate: TestServer;
  const sso = () => `${passgate.url}/saml/sso`;

  beforeAll(async () => {
    passgate = await startTestServer({
      config: {
        server: { trustedProxies: ['127.0.0.1/32'] },
        rateLimit: LIMITS,
        metrics: { listen: '127.0.0.1:0' },
      },
    });
    await passgate.addUser('alice', 'alice-password-1');
  });
  afterAll(() => passgate?.close());

  it('answers 429 with Retry-After and the translated page once one address is over its limit', async () => {
    const flooder = '203.0.113.7';
    for (let i = 0; i < BURST; i++) {
      const answer = await fetch(sso(), from(flooder));
      expect(answer.status).toBe(400); // no SAMLRequest: the SAML door's own refusal
    }
    const limited = await fetch(sso(), from(flooder));
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(limited.headers.get('content-type')).toMatch(/text\/html/);
    expect(await limited.text()).toContain('Too many requests from your network.');

    const german = await fetch(sso(), from(flooder, { 'accept-language': 'de' }));
    expect(german.status).toBe(429);
    expect(await german.text()).toContain('Zu viele Anfragen aus Ihrem Netzwerk.');

    // The same group: starting an OIDC sign-in from that address is refused as well.
    expect((await fetch(authorizationUrl(passgate.url), from(flooder))).status).toBe(429);
    // Another address is not affected.
    expect((await fetch(sso(), from('203.0.113.8'))).status).toBe(400);
    expect(await metric(passgate, 'passgate_rate_limited_total', 'sign_in_start')).toBeGreaterThanOrEqual(3);
  });

  it('answers an API client in JSON', async () => {
    const flooder = '203.0.113.9';
    for (let i = 0; i < BURST; i++) await fetch(sso(), from(flooder));
    const limited = await fetch(sso(), from(flooder, { accept: 'application/json' }));
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await limited.json()).toEqual({
      error: 'RATE_LIMITED',
      error_description: 'Too many requests from your network. Please wait a moment and try again.',
    });
  });

  it('limits the hosted login pages per address: wrong passwords and unknown sign-ins alike', async () => {
    const flooder = '198.51.100.66';
    const browser = new Browser({ 'x-forwarded-for': flooder });
    const login = (await browser.follow(authorizationUrl(passgate.url))).last;
    expect(login.status).toBe(200); // one GET of the login page: one of the burst
    const wrong = { _csrf: formField(login.body, '_csrf')!, username: 'alice', password: 'wrong' };
    const statuses: number[] = [];
    for (let i = 0; i < BURST; i++) {
      statuses.push((await browser.fetch(formAction(login.body, login.url), { form: wrong })).status);
    }
    expect(statuses.slice(0, BURST - 1)).not.toContain(429);
    expect(statuses[BURST - 1]).toBe(429);
    expect((await fetch(`${passgate.url}/login/no-such-sign-in`, from(flooder))).status).toBe(429);
    expect((await fetch(`${passgate.url}/login/no-such-sign-in`, from('198.51.100.67'))).status).not.toBe(
      429,
    );
    expect(await metric(passgate, 'passgate_rate_limited_total', 'login')).toBeGreaterThanOrEqual(2);
  });

  it('lets a legitimate sign-in from another address complete while one address is being limited', async () => {
    const flooder = '203.0.113.50';
    for (let i = 0; i <= BURST; i++) await fetch(sso(), from(flooder));
    expect((await fetch(sso(), from(flooder))).status).toBe(429);
    const config = await discover(passgate.url);
    const { tokens } = await loginWithCode(config, 'alice', 'alice-password-1', {
      browser: new Browser({ 'x-forwarded-for': '192.0.2.10' }),
    });
    expect(tokens.claims()?.sub).toBeTruthy();
    expect((await fetch(sso(), from(flooder))).status).toBe(429);
  });

  it('counts an IPv6 client by its /64', async () => {
    for (let i = 0; i < BURST; i++) await fetch(sso(), from(`2001:db8:0:1::${i + 1}`));
    expect((await fetch(sso(), from('2001:db8:0:1:ffff::9'))).status).toBe(429);
    expect((await fetch(sso(), from('2001:db8:0:2::1'))).status).toBe(400);
  });

  it(`remembers at most ${MAX_ADDRESSES} addresses however many send requests`, async () => {
    for (let i = 0; i < MAX_ADDRESSES + 50; i++) {
      const answer = await fetch(sso(), from(`10.9.${i >> 8}.${i & 255}`));
      expect(answer.status).toBe(400);
    }
    expect(await metric(passgate, 'passgate_rate_limit_addresses', 'sign_in_start')).toBe(MAX_ADDRESSES);
  });
});

describe('per-address rate limits without a trusted proxy', () => {
  let passgate: TestServer;
  beforeAll(async () => {
    passgate = await startTestServer({ config: { rateLimit: LIMITS } });
  });
  afterAll(() => passgate?.close());

  it('counts the socket address: a spoofed X-Forwarded-For does not let one peer pose as many', async () => {
    const statuses: number[] = [];
    for (let i = 0; i <= BURST; i++) {
      statuses.push((await fetch(`${passgate.url}/saml/sso`, from(`203.0.113.${100 + i}`))).status);
    }
    expect(statuses).toEqual([400, 400, 400, 429]);
  });
});

describe('rate limits switched off', () => {
  let passgate: TestServer;
  beforeAll(async () => {
    passgate = await startTestServer({ config: { rateLimit: { ...LIMITS, enabled: false } } });
  });
  afterAll(() => passgate?.close());

  it('never answers 429', async () => {
    for (let i = 0; i < BURST + 3; i++) expect((await fetch(`${passgate.url}/saml/sso`)).status).toBe(400);
  });
});
