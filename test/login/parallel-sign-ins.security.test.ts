import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACR_MFA, type PolicyServer, SignIn, startPolicyServer } from '../policy/support.js';
import { SelfServiceBrowser } from '../selfservice/support.js';
import { Browser, formAction, formField } from '../support/browser.js';

describe('hosted login: several sign-ins at once in one browser (tabs)', () => {
  let server: PolicyServer;
  beforeAll(async () => {
    server = await startPolicyServer();
    await server.addTotpUser('tara');
  });
  afterAll(() => server?.close());

  it('keeps the form of a first sign-in working after a second one started in another tab', async () => {
    const browser = new Browser();
    // Tab 1: an application's sign-in, at the password page.
    const app = await SignIn.start(await server.rp(), browser);
    expect(app.asksPassword).toBe(true);
    // Tab 2: the self-service site's sign-in, at its password page.
    const selfService = new SelfServiceBrowser(server, browser);
    await selfService.open('/selfservice');
    expect(selfService.page.body).toContain('name="password"');

    // Tab 1 goes on: password, then the second factor while tab 2 waits.
    await app.password('tara');
    expect(app.page.body).not.toContain('data-code="CSRF_INVALID"');
    expect(app.asksSecondFactor).toBe(true);
    // Tab 3: another sign-in to the application starts meanwhile.
    const again = await SignIn.start(await server.rp(), browser, { prompt: 'login' });
    expect(again.asksPassword).toBe(true);
    await app.code(server.totp());
    expect((await app.claims()).acr).toBe(ACR_MFA);

    // Tab 2 goes on with its own form.
    await selfService.post(selfService.formAction(), { username: 'tara', password: 'correct horse battery' });
    expect(selfService.page.body).not.toContain('data-code="CSRF_INVALID"');
    await selfService.post(selfService.formAction(), { action: 'verify', code: server.totp() });
    expect(selfService.atHome).toBe(true);

    // Tab 3 too.
    await again.password('tara');
    expect(again.asksSecondFactor).toBe(true);
  });

  it('keeps two self-service sign-ins of one browser apart', async () => {
    const browser = new Browser();
    const first = new SelfServiceBrowser(server, browser);
    await first.open('/selfservice');
    const second = new SelfServiceBrowser(server, browser);
    await second.open('/selfservice');
    expect(second.page.url).not.toBe(first.page.url);

    await first.post(first.formAction(), { username: 'tara', password: 'correct horse battery' });
    expect(first.page.status).toBe(200);
    expect(first.page.url).toMatch(/\/login\/ss-[\w-]+\/mfa$/);
    await second.post(second.formAction(), { username: 'tara', password: 'correct horse battery' });
    expect(second.page.url).toMatch(/\/login\/ss-[\w-]+\/mfa$/);
    await first.post(first.formAction(), { action: 'verify', code: server.totp() });
    expect(first.atHome).toBe(true);
    await second.post(second.formAction(), { action: 'verify', code: server.totp() });
    expect(second.atHome).toBe(true);
  });

  it('still refuses a form of one sign-in posted to another, and a form posted without its cookie', async () => {
    const browser = new Browser();
    const first = await SignIn.start(await server.rp(), browser);
    const second = await SignIn.start(await server.rp(), browser);
    const crossed = await browser.fetch(formAction(second.page.body, second.page.url), {
      form: {
        _csrf: formField(first.page.body, '_csrf')!,
        username: 'tara',
        password: 'correct horse battery',
      },
    });
    expect(crossed.status).toBe(403);
    expect(crossed.body).toContain('data-code="CSRF_INVALID"');

    const attacker = new Browser();
    for (const cookie of await browser.jar.getCookies(first.page.url)) {
      if (!cookie.key.includes('csrf')) await attacker.jar.setCookie(cookie.clone()!, first.page.url);
    }
    const forged = await attacker.fetch(formAction(first.page.body, first.page.url), {
      form: {
        _csrf: formField(first.page.body, '_csrf')!,
        username: 'tara',
        password: 'correct horse battery',
      },
    });
    expect(forged.status).toBe(403);
  });
});
