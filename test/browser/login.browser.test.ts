import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { ACR_MFA } from '../../src/doors/oidc/assurance.js';
import { enrolOath } from '../../src/tokens/enrol.js';
import { timeStep, totpCode } from '../../src/tokens/oath.js';
import { authorizationRequest, type BrowserSuite, useBrowserSuite } from '../support/browser-login.js';
import { describeInBrowser, focused, screenshot, textOf, widths } from '../support/chromium.js';

const PASSWORD = 'correct horse battery';
const SECRET = Buffer.from('12345678901234567890');

/** The code an authenticator app shows now for the test secret. */
const totpNow = () => totpCode(SECRET, timeStep(Date.now(), 30), 30, { algorithm: 'SHA1', digits: 6 });

describeInBrowser('the hosted login in Chromium', () => {
  const suite = useBrowserSuite();
  const { newPage } = suite;

  /** A user with a password and a TOTP authenticator (one per test: a TOTP code is single use). */
  const totpUser = async (
    username: string,
    extra: Parameters<BrowserSuite['passgate']['addUser']>[2] = {},
  ) => {
    const user = await suite.passgate.addUser(username, PASSWORD, extra);
    await enrolOath(
      suite.passgate.core.tokens,
      { userId: user.id, label: username, type: 'totp', secret: SECRET },
      'Passgate',
    );
    return user;
  };

  const signInWithPassword = async (page: Page, username: string, password = PASSWORD) => {
    await page.fill('#username', username);
    await page.fill('#password', password);
    await page.click('button[type=submit].primary');
  };

  it('signs a user in with the password and a TOTP code, and the application gets an MFA ID token', async () => {
    await totpUser('tina');
    const page = await newPage();
    const login = await authorizationRequest(suite);
    await page.goto(login.url);
    expect(await textOf(page, 'h1')).toBe('Sign in');
    await signInWithPassword(page, 'tina');
    await page.waitForURL(/\/login\/[\w-]+\/mfa$/);
    expect(await textOf(page, 'label[for=code]')).toBe('Code');
    await page.fill('#code', totpNow());
    await page.click('button[type=submit].primary');
    const tokens = await login.finish(page);
    const claims = tokens.claims()!;
    expect(claims.sub).toBeTruthy();
    expect(claims.amr).toEqual(['pwd', 'otp', 'mfa']);
    expect(claims.acr).toBe(ACR_MFA);
    expect(claims.email).toBe('tina@example.test');
    expect(await textOf(page, 'h1')).toBe('Back at the application');
  });

  it('works with JavaScript turned off: password and TOTP through plain form posts', async () => {
    await totpUser('nojs');
    const page = await newPage({ javaScriptEnabled: false });
    const login = await authorizationRequest(suite);
    await page.goto(login.url);
    await signInWithPassword(page, 'nojs');
    await page.waitForURL(/\/mfa$/);
    await page.fill('#code', totpNow());
    await page.click('button[type=submit].primary');
    expect((await login.finish(page)).claims()!.amr).toEqual(['pwd', 'otp', 'mfa']);
  });

  it('signs in with the keyboard alone, in the order username, password, submit', async () => {
    await totpUser('kate');
    const page = await newPage();
    const login = await authorizationRequest(suite);
    await page.goto(login.url);
    // The user name has the focus on arrival, then Tab walks the form in reading order.
    expect(await focused(page)).toBe('username');
    await page.keyboard.type('kate');
    await page.keyboard.press('Tab');
    expect(await focused(page)).toBe('password');
    await page.keyboard.type('not the password');
    await page.keyboard.press('Tab');
    expect(await focused(page)).toBe('BUTTON');
    expect(await textOf(page, ':focus')).toBe('Sign in');
    await page.keyboard.press('Enter');
    // A wrong password: the error summary takes the focus, so a screen reader reads it first.
    await page.waitForSelector('#error-summary');
    expect(await focused(page)).toBe('error-summary');
    expect(await textOf(page, '#error-summary p')).toBe('The user name or password is incorrect.');
    await page.keyboard.press('Tab');
    expect(await focused(page)).toBe('username');
    expect(await page.inputValue('#username')).toBe('kate');
    await page.keyboard.press('Tab');
    expect(await focused(page)).toBe('password');
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/mfa$/);
    expect(await focused(page)).toBe('code');
    await page.keyboard.type(totpNow());
    await page.keyboard.press('Enter');
    expect((await login.finish(page)).claims()!.amr).toEqual(['pwd', 'otp', 'mfa']);
  });

  it('fits a phone screen (375×667) without horizontal scrolling, on the login and MFA pages', async () => {
    // A mobile number and an e-mail address too: the MFA page then lists every way to get a passcode.
    await totpUser('phil', { mobile: '+33612345642' });
    const page = await newPage({ viewport: { width: 375, height: 667 }, isMobile: true, hasTouch: true });
    const login = await authorizationRequest(suite);
    // Finnish and Russian have some of the longest words of the 17 languages.
    for (const lang of ['fi', 'ru', 'en']) {
      await page.goto(`${login.url}&lang=${lang}`);
      expect(await page.getAttribute('html', 'lang')).toBe(lang);
      const { scroll, viewport } = await widths(page);
      expect(scroll, `login page in ${lang}`).toBeLessThanOrEqual(viewport);
    }
    await signInWithPassword(page, 'phil', 'wrong password');
    await page.waitForSelector('#error-summary');
    expect((await widths(page)).scroll).toBeLessThanOrEqual(375);
    await screenshot(page, 'login-phone-error');
    await signInWithPassword(page, 'phil');
    await page.waitForURL(/\/mfa$/);
    // The method asked for (the app) and the other ways (SMS, call) all fit.
    expect(await page.locator('[data-offer]').count()).toBeGreaterThanOrEqual(3);
    const { scroll, viewport } = await widths(page);
    expect(scroll).toBeLessThanOrEqual(viewport);
    await screenshot(page, 'mfa-phone');
    await page.fill('#code', totpNow());
    await page.click('button[type=submit].primary');
    expect((await login.finish(page)).claims()!.amr).toContain('mfa');
  });
});
