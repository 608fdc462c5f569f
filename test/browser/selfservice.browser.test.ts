import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { ACR_MFA } from '../../src/doors/oidc/assurance.js';
import { enrolOath } from '../../src/tokens/enrol.js';
import { parseSecret } from '../../src/tokens/secrets.js';
import { authorizationRequest, useBrowserSuite } from '../support/browser-login.js';
import { describeInBrowser, enrolFromQrCode, screenshot, textOf, widths } from '../support/chromium.js';
import { totpCodes } from '../support/totp-user.js';

const PASSWORD = 'correct horse battery';
const SECRET = Buffer.from('12345678901234567890');

/** The TOTP code of a secret's current time step, a fresh one for each use (see totpCodes). */
const codeAt = totpCodes();

describeInBrowser('the self-service site in Chromium', () => {
  const suite = useBrowserSuite();
  const { newPage } = suite;
  const password = async (page: Page, username: string) => {
    await page.fill('#username', username);
    await page.fill('#password', PASSWORD);
    await page.click('button[type=submit].primary');
  };

  it('enrols an authenticator from the QR code on the page, then signs in to an application with it', async () => {
    const { passgate } = suite;
    const user = await passgate.addUser('quinn', PASSWORD);
    await enrolOath(
      passgate.core.tokens,
      { userId: user.id, label: 'quinn', type: 'totp', secret: SECRET },
      'Passgate',
    );

    // Sign in to the self-service site through the hosted login, with the existing authenticator.
    const page = await newPage();
    await page.goto(`${passgate.url}/selfservice`);
    await page.waitForURL(/\/login\/ss-[\w-]+$/);
    await password(page, 'quinn');
    await page.waitForURL(/\/mfa$/);
    await page.fill('#code', await codeAt(SECRET));
    await page.click('button[type=submit].primary');
    await page.waitForURL(/\/selfservice$/);
    expect(await textOf(page, 'h1')).toBe('My sign-in security');

    // Add an authenticator app: the page shows a QR code and the key.
    // What a phone's camera reads from the screen.
    const { tokenId, uri: parsed } = await enrolFromQrCode(page, 'selfservice-enrol-qr');
    expect(parsed.protocol).toBe('otpauth:');
    expect(parsed.host).toBe('totp');
    expect(decodeURIComponent(parsed.pathname)).toBe('/Passgate:quinn');
    const params = Object.fromEntries(parsed.searchParams);
    expect(params).toMatchObject({ issuer: 'Passgate', algorithm: 'SHA1', digits: '6', period: '30' });
    expect(params.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(((await textOf(page, '#secret')) ?? '').replace(/\s+/g, '')).toBe(params.secret);
    const secret = parseSecret(params.secret!);
    expect((await passgate.core.tokens.findById(tokenId))?.status).toBe('pending');

    // Confirm with the code the new authenticator shows.
    await page.fill('#code', await codeAt(secret));
    await page.click('button[type=submit].primary');
    await page.waitForURL(/\/selfservice\?done=added$/);
    expect(await page.locator(`[data-token="${tokenId}"][data-status="active"]`).count()).toBe(1);
    await screenshot(page, 'selfservice-home');

    // The Sessions page lists this browser's single sign-on session, marked as this browser.
    await page.click('#sessions-link');
    await page.waitForURL(/\/selfservice\/sessions$/);
    expect(await page.locator('#sessions li').count()).toBe(1);
    expect(await textOf(page, '#sessions li[data-current="true"] strong')).toBe('This browser');
    await screenshot(page, 'selfservice-sessions');
    await page.goto(`${passgate.url}/selfservice`);

    await page.click('#signout');
    await page.waitForURL(/\/selfservice\/signed-out$/);

    // Sign in to an OIDC application with the new token (the next time step: a code counts once).
    const login = await authorizationRequest(suite);
    await page.goto(login.url);
    await password(page, 'quinn');
    await page.waitForURL(/\/mfa$/);
    await page.fill('#code', await codeAt(secret));
    await page.click('button[type=submit].primary');
    const claims = (await login.finish(page)).claims()!;
    expect(claims.acr).toBe(ACR_MFA);
    const [used] = await passgate.core.audit.recent({
      type: 'login.second-factor',
      userId: user.id,
      limit: 1,
    });
    expect(used).toMatchObject({ outcome: 'success', details: { token: tokenId, door: 'oidc' } });
  }, 180_000);

  it('works on a phone without JavaScript, in Russian: a first enrolment from the typed key', async () => {
    const { passgate } = suite;
    const user = await passgate.addUser('rosa', PASSWORD);
    const page = await newPage({ javaScriptEnabled: false, viewport: { width: 375, height: 667 } });
    await page.goto(`${passgate.url}/selfservice?lang=ru`);
    await password(page, 'rosa'); // no factor yet: the password alone, inside the first-enrolment window
    await page.waitForURL(/\/selfservice$/);
    expect(await textOf(page, 'h1')).toBe('Безопасность моего входа');
    expect((await widths(page)).scroll).toBeLessThanOrEqual(375);
    await page.click('#enrol');
    await page.click('button[type=submit].primary');
    await page.waitForURL(/\/confirm$/);
    expect((await widths(page)).scroll).toBeLessThanOrEqual(375);
    await screenshot(page, 'selfservice-enrol-phone-ru');
    const secret = parseSecret((await textOf(page, '#secret')).replace(/\s+/g, ''));
    await page.fill('#code', await codeAt(secret));
    await page.click('button[type=submit].primary');
    await page.waitForURL(/done=added$/);
    expect(await textOf(page, '#done')).toContain('Приложение-аутентификатор готово');
    const [token] = await passgate.core.tokens.listByUser(user.id);
    expect(token?.status).toBe('active');
    const enrolled = await passgate.core.audit.recent({ type: 'selfservice.token.enrol', userId: user.id });
    expect(enrolled[0]?.details).toMatchObject({ first: true });
  });
});
