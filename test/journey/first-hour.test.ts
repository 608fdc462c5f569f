import { rmSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  describeInBrowser,
  enrolFromQrCode,
  mapHostToLoopback,
  screenshot,
  textOf,
  useChromium,
} from '../support/chromium.js';
import { freePort } from '../support/free-port.js';
import {
  dockerCompose,
  freshCopy,
  hostMappingPreload,
  oathtool,
  runCommand,
  type Started,
  startCommand,
  userEnv,
  waitUntilReady,
} from './support.js';

/**
 * The first hour of a new user (issue 12), kept as a test: a fresh copy of the repository,
 * `npm start` on a VM-like public address over plain http and a port of its own, the first user
 * from standard input, the demo on another port, a sign-in with a password and an authenticator
 * app enrolled on the self-service site, then the Docker Compose file and production mode.
 */

/** The public name of Passgate: not localhost, so Chromium treats it as a remote plain-http origin. */
const HOST = 'passgate.test';
const PASSWORD = 'correct horse battery staple';

describeInBrowser('the first hour of a new user, from a fresh copy of the repository', () => {
  let copy: string;
  let port: number;
  let demoPort: number;
  let publicUrl: string;
  let env: Record<string, string>;
  const chromium = useChromium([mapHostToLoopback(HOST)]);
  const started: Started[] = [];

  beforeAll(async () => {
    copy = freshCopy();
    [port, demoPort] = [await freePort(), await freePort()];
    while (port === 3000 || demoPort === 3001 || demoPort === port) demoPort = await freePort();
    publicUrl = `http://${HOST}:${port}`;
    env = userEnv(copy, {
      PORT: String(port),
      PASSGATE_PUBLIC_URL: publicUrl,
      DEMO_PORT: String(demoPort),
      NODE_OPTIONS: hostMappingPreload(copy, HOST),
    });
  });
  afterAll(async () => {
    for (const process of started.reverse()) await process.stop();
    if (copy) rmSync(copy, { recursive: true, force: true });
  });

  /** Watches a page for requests the browser could not make (blocked CSS, an upgraded form post). */
  const failedRequests = (page: Page) => {
    const failed: string[] = [];
    page.on('requestfailed', (request) => failed.push(`${request.url()}: ${request.failure()?.errorText}`));
    return failed;
  };

  it('starts with npm start, adds a user, enrols an authenticator app and signs in to the demo with it', {
    timeout: 300_000,
  }, async () => {
    // npm start, on a non-default port and a plain-http public URL that is not localhost.
    const passgate = startCommand('npm', ['start'], copy, env);
    started.push(passgate);
    await waitUntilReady(`http://127.0.0.1:${port}/readyz`, passgate, 180_000);
    expect(passgate.output()).toContain('Passgate has no users yet');

    // The first user, the password from standard input (as the first-start hint says).
    const added = await runCommand(
      'npx',
      [
        'passgate',
        'user',
        'add',
        'alice',
        '--display-name',
        'Alice Liddell',
        '--email',
        'alice@example.test',
      ],
      copy,
      env,
      `${PASSWORD}\n`,
    );
    expect(added, added.stderr).toMatchObject({ code: 0 });

    // The demo on another port, finding Passgate at its public URL.
    const demo = startCommand('npm', ['run', 'demo'], copy, env);
    started.push(demo);
    await waitUntilReady(`http://127.0.0.1:${demoPort}/`, demo, 120_000);
    expect(demo.output()).toContain(`open http://localhost:${demoPort}/`);

    const page = await chromium.newPage();
    const failed = failedRequests(page);

    // The self-service site: the password alone (no factor yet), then an authenticator app.
    await page.goto(`${publicUrl}/selfservice`);
    await page.waitForURL(/\/login\/ss-[\w-]+$/);
    expect(new URL(page.url()).origin).toBe(publicUrl);
    await screenshot(page, 'journey-1-login');
    await page.fill('#username', 'alice');
    await page.fill('#password', PASSWORD);
    await page.click('button[type=submit].primary');
    await page.waitForURL(/\/selfservice$/);
    expect(await textOf(page, 'h1')).toBe('My sign-in security');
    // What the phone's camera reads: the otpauth URI of the QR code, with the key shown beside it.
    const { uri } = await enrolFromQrCode(page, 'journey-2-enrol-qr');
    const secret = uri.searchParams.get('secret')!;
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect((await textOf(page, '#secret')).replace(/\s+/g, '')).toBe(secret);
    await page.fill('#code', oathtool(secret));
    await page.click('button[type=submit].primary');
    await page.waitForURL(/\/selfservice\?done=added$/);
    await screenshot(page, 'journey-3-selfservice');
    await page.click('#signout');
    await page.waitForURL(/\/selfservice\/signed-out$/);

    // The demo application: password and a code of the new authenticator (the next time step:
    // a code counts once).
    await page.goto(`http://localhost:${demoPort}/`);
    await page.click('text=Sign in with Passgate');
    await page.waitForURL(/\/login\/[\w-]+$/);
    expect(new URL(page.url()).origin).toBe(publicUrl);
    await page.fill('#username', 'alice');
    await page.fill('#password', PASSWORD);
    await page.click('button[type=submit].primary');
    await page.waitForURL(/\/mfa$/);
    await screenshot(page, 'journey-4-second-factor');
    await page.fill('#code', oathtool(secret, 1));
    await page.click('button[type=submit].primary');
    // The callback spends the code and sends the browser on to the demo's claims page.
    await page.waitForURL(`http://localhost:${demoPort}/claims`);
    expect(await textOf(page, 'h1')).toBe('Signed in');
    const claims = await page.locator('tr').allTextContents();
    expect(claims).toContain('nameAlice Liddell');
    expect(claims).toContain('emailalice@example.test');
    expect(claims.find((row) => row.startsWith('amr'))).toMatch(/otp/);
    await screenshot(page, 'journey-5-demo-signed-in');

    // Every style sheet loaded and every form was posted over plain http.
    expect(failed).toEqual([]);
  });

  it('validates the Docker Compose file with docker-compose', () => {
    const masterKey = Buffer.alloc(32, 9).toString('base64');
    const result = dockerCompose(copy, { PASSGATE_MASTER_KEY: masterKey }, 'config');
    expect(result.status, result.stderr).toBe(0);
    const resolved = parseYaml(result.stdout) as {
      services: Record<string, { environment: Record<string, string> }>;
    };
    expect(Object.keys(resolved.services)).toEqual(expect.arrayContaining(['passgate', 'postgres']));
    expect(resolved.services.passgate!.environment.PASSGATE_MASTER_KEY).toBe(masterKey);

    // Without the master key the file says what to set.
    const missing = dockerCompose(copy, {}, 'config');
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toContain('PASSGATE_MASTER_KEY');
  });

  it('refuses to start in production mode (PASSGATE_MODE) without a master key, saying what to set', async () => {
    const productionPort = await freePort();
    const production = userEnv(copy, { PORT: String(productionPort), PASSGATE_MODE: 'production' });
    const start = startCommand('npm', ['start'], copy, production);
    started.push(start);
    const exited = new Promise<number | null>((resolve) => start.child.once('exit', resolve));
    // Either it exits, or it answers on its port: then it started, which it must not.
    const code = await Promise.race([
      exited,
      waitUntilReady(`http://127.0.0.1:${productionPort}/healthz`, start, 120_000).then(
        () => 'started' as const,
        async () => exited,
      ),
    ]);
    expect(code, start.output()).toBe(2);
    expect(start.output()).toContain('secrets.masterKey');
    expect(start.output()).toContain('PASSGATE_MASTER_KEY');
    expect(start.output()).not.toMatch(/\n\s+at /); // no stack
  });
});
