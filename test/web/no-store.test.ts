import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { timeStep, totpCode } from '../../src/tokens/oath.js';
import { parseSecret } from '../../src/tokens/secrets.js';
import { type PolicyServer, startPolicyServer } from '../policy/support.js';
import { SelfServiceBrowser } from '../selfservice/support.js';
import type { Exchange } from '../support/browser.js';

/** What a shared cache or the browser's history may keep of a page: nothing, and no validator. */
function cacheHeaders(page: Exchange) {
  return {
    path: new URL(page.url).pathname.replace(/\/(ss-|TOTP)[^/]+/, '/:id'),
    status: page.status,
    cacheControl: page.headers.get('cache-control'),
    etag: page.headers.get('etag'),
  };
}

describe('pages are never stored by caches (Cache-Control: no-store, no ETag)', () => {
  let server: PolicyServer;
  beforeAll(async () => {
    server = await startPolicyServer();
  });
  afterAll(() => server?.close());

  it('sends no-store and no ETag on the login, second-factor and self-service pages, and on the page showing a new secret', async () => {
    await server.addTotpUser('nora');
    const ss = new SelfServiceBrowser(server);
    const pages: Exchange[] = [];
    pages.push(await ss.open('/selfservice')); // the hosted login page
    await ss.post(ss.formAction(), { username: 'nora', password: 'correct horse battery' });
    pages.push(ss.page); // the second-factor page
    await ss.post(ss.formAction(), { action: 'verify', code: server.totp() });
    expect(ss.atHome).toBe(true);
    pages.push(ss.page);
    pages.push(await ss.open('/no/such/page'));
    pages.push(await ss.open('/selfservice/enrol'));
    await ss.post('/selfservice/enrol', { profile: 'default' });
    pages.push(ss.page); // the confirmation page: QR code and secret
    const secret = parseSecret(ss.shownSecret);

    expect(pages.map(cacheHeaders)).toEqual([
      { path: '/login/:id', status: 200, cacheControl: 'no-store', etag: null },
      { path: '/login/:id/mfa', status: 200, cacheControl: 'no-store', etag: null },
      { path: '/selfservice', status: 200, cacheControl: 'no-store', etag: null },
      { path: '/no/such/page', status: 404, cacheControl: 'no-store', etag: null },
      { path: '/selfservice/enrol', status: 200, cacheControl: 'no-store', etag: null },
      { path: '/selfservice/tokens/:id/confirm', status: 200, cacheControl: 'no-store', etag: null },
    ]);
    // Still the right page and code: the confirmation accepts the code of the shown secret.
    const code = totpCode(secret, timeStep(server.clock(), 30), 30, { algorithm: 'SHA1', digits: 6 });
    await ss.post(ss.formAction(), { code });
    expect(ss.atHome).toBe(true);
  });

  it('lets browsers keep the style sheet (it holds no secret)', async () => {
    const response = await fetch(`${server.url}/assets/passgate.css`);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('public, max-age=3600');
    expect(response.headers.get('etag')).toBeTruthy();
  });
});
