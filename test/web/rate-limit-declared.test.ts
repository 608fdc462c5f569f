import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RateLimitedRoutes } from '../../src/config/rate-limit-schema.js';
import { PassgateError } from '../../src/errors.js';
import { createRateLimiter, type RateLimitedEntry } from '../../src/web/rate-limit.js';
import { startTestServer, type TestServer } from '../support/server.js';

// The limiter guards what each part of the server declares (Door.rateLimited, the hosted login,
// the engine's receipts): the web layer names no path itself.

const BURST = 2;
const RULE = { perMinute: 1, burst: BURST };

const from = (address: string) => ({ headers: { 'x-forwarded-for': address } });

describe('entry points declared by the doors and the engine, on the real server', () => {
  let passgate: TestServer;
  beforeAll(async () => {
    passgate = await startTestServer({
      config: {
        server: { trustedProxies: ['127.0.0.1/32'] },
        rateLimit: { signInStart: RULE, login: RULE, receipts: RULE },
      },
    });
  });
  afterAll(() => passgate?.close());

  async function statuses(url: string, address: string, init: RequestInit = {}) {
    const seen: number[] = [];
    for (let i = 0; i <= BURST; i++) {
      const response = await fetch(url, { ...init, ...from(address), redirect: 'manual' });
      seen.push(response.status);
    }
    return seen;
  }

  it("limits the SAML door's IdP-initiated start and the self-service door's front page", async () => {
    const idpInit = await statuses(`${passgate.url}/saml/idp-init?sp=nobody`, '203.0.113.1');
    expect(idpInit.slice(0, BURST)).not.toContain(429);
    expect(idpInit[BURST]).toBe(429);
    const portal = await statuses(`${passgate.url}/selfservice`, '203.0.113.2');
    expect(portal.slice(0, BURST)).not.toContain(429);
    expect(portal[BURST]).toBe(429);
    // One group: the portal's starts used up that address's sign-in starts at the SAML door too.
    expect((await fetch(`${passgate.url}/saml/sso`, from('203.0.113.2'))).status).toBe(429);
  });

  it("answers a flood of the engine's delivery receipts in JSON, as it declares", async () => {
    const url = `${passgate.url}/dispatch/receipts/nowhere`;
    const seen = await statuses(url, '203.0.113.3', { method: 'POST' });
    expect(seen.slice(0, BURST)).toEqual([404, 404]); // no such gateway: the receipts router's own answer
    const limited = await fetch(url, { method: 'POST', ...from('203.0.113.3') });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await limited.json()).toEqual({ error: 'RATE_LIMITED' });
  });
});

describe('a new door that declares its entry points', () => {
  let url: string;
  let close: () => void;
  const refused: RateLimitedEntry[] = [];

  beforeAll(async () => {
    // What a door such as a password-reset site would declare; the limiter knows nothing else of it.
    const declared: RateLimitedRoutes[] = [
      { group: 'signInStart', paths: ['/reset'] },
      { group: 'receipts', paths: ['/radius/hook'], answer: 'json' },
    ];
    const limiter = createRateLimiter(
      { enabled: true, maxAddresses: 100, signInStart: RULE, login: RULE, receipts: RULE },
      declared,
      (req) => String(req.headers['x-forwarded-for']),
      { refused: (entry) => refused.push(entry), remembered: () => undefined },
    );
    const app = express();
    limiter.mount(app);
    app.all(['/reset', '/radius/hook', '/other'], (_req, res) => {
      res.send('served');
    });
    app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
      const status = error instanceof PassgateError ? error.status : 500;
      res.status(status).send(error instanceof PassgateError ? error.code : 'error');
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => server.close();
  });
  afterAll(() => close?.());

  it('limits its declared paths per address with the answer it declared, and nothing else', async () => {
    for (let i = 0; i < BURST; i++) {
      expect(await (await fetch(`${url}/reset`, from('198.51.100.1'))).text()).toBe('served');
      expect((await fetch(`${url}/radius/hook`, { method: 'POST', ...from('198.51.100.1') })).status).toBe(
        200,
      );
    }
    const page = await fetch(`${url}/reset`, from('198.51.100.1'));
    expect(page.status).toBe(429);
    expect(await page.text()).toBe('RATE_LIMITED');
    const hook = await fetch(`${url}/radius/hook`, { method: 'POST', ...from('198.51.100.1') });
    expect(hook.status).toBe(429);
    expect(await hook.json()).toEqual({ error: 'RATE_LIMITED' });
    expect(refused).toEqual(['sign_in_start', 'receipts']);

    expect((await fetch(`${url}/reset`, from('198.51.100.2'))).status).toBe(200);
    for (let i = 0; i <= BURST; i++) {
      expect((await fetch(`${url}/other`, from('198.51.100.1'))).status).toBe(200);
    }
  });
});
