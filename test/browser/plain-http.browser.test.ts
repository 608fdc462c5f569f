import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  describeInBrowser,
  mapHostToLoopback,
  screenshot,
  textOf,
  useChromium,
} from '../support/chromium.js';
import { freePort } from '../support/free-port.js';
import { startTestServer, type TestServer } from '../support/server.js';

const PASSWORD = 'correct horse battery';
/** A name Chromium resolves to loopback but treats as a remote, plain-http origin (a VM or LAN address). */
const HOST = 'passgate.test';

/** The Content-Security-Policy directives of a response, by name. */
function cspDirectives(headers: Headers): Map<string, string> {
  const policy = headers.get('content-security-policy') ?? '';
  return new Map(
    policy
      .split(';')
      .map((d) => d.trim())
      .filter(Boolean)
      .map((d) => [d.split(/\s+/)[0]!, d] as const),
  );
}

describeInBrowser('a plain-http public URL other than localhost (development mode)', () => {
  let passgate: TestServer;
  const chromium = useChromium([mapHostToLoopback(HOST)]);

  beforeAll(async () => {
    const port = await freePort();
    passgate = await startTestServer({ config: { server: { port, publicUrl: `http://${HOST}:${port}` } } });
  });
  afterAll(async () => {
    await passgate?.close();
  });

  it('sends neither upgrade-insecure-requests nor HSTS over http', async () => {
    const response = await fetch(`http://127.0.0.1:${passgate.server.port}/selfservice/signed-out`);
    expect(response.headers.get('strict-transport-security')).toBeNull();
    const csp = cspDirectives(response.headers);
    expect(csp.has('upgrade-insecure-requests')).toBe(false);
    expect(csp.get('default-src')).toBe("default-src 'self'");
    expect(csp.get('frame-ancestors')).toBe("frame-ancestors 'none'");
  });

  it('shows the styled login page and signs in from that address in Chromium', async () => {
    await passgate.addUser('vera', PASSWORD);
    const page = await chromium.newPage();
    const failed: string[] = [];
    page.on('requestfailed', (request) => failed.push(`${request.url()} ${request.failure()?.errorText}`));
    await page.goto(`http://${HOST}:${passgate.server.port}/selfservice`);
    await page.waitForURL(new RegExp(`^http://${HOST.replace('.', '\\.')}:\\d+/login/ss-[\\w-]+$`));
    // The style sheet loaded and applies: the page is not the browser's unstyled default.
    const sheets = await page.evaluate<number>(
      '[...document.styleSheets].filter((s) => { try { return s.cssRules.length > 0 } catch { return false } }).length',
    );
    expect(sheets).toBeGreaterThan(0);
    await screenshot(page, 'plain-http-login');
    await page.fill('#username', 'vera');
    await page.fill('#password', PASSWORD);
    await page.click('button[type=submit].primary');
    await page.waitForURL(new RegExp(`^http://${HOST.replace('.', '\\.')}:\\d+/selfservice$`));
    expect(await textOf(page, 'h1')).toBe('My sign-in security');
    expect(failed).toEqual([]);
  });
});

describe('an https public URL', () => {
  let passgate: TestServer;

  beforeAll(async () => {
    passgate = await startTestServer({ config: { server: { publicUrl: 'https://passgate.example.test' } } });
  });
  afterAll(async () => {
    await passgate?.close();
  });

  it('asks browsers to upgrade and to remember https (HSTS)', async () => {
    const response = await fetch(`http://127.0.0.1:${passgate.server.port}/selfservice/signed-out`);
    expect(response.headers.get('strict-transport-security')).toBe('max-age=31536000');
    expect(cspDirectives(response.headers).has('upgrade-insecure-requests')).toBe(true);
  });
});
