import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { DEFAULT_PASSCODE_POLICY } from '../../src/policy/passcode-policy.js';
import { authorizationRequest, lastMessage, outbox, useBrowserSuite } from '../support/browser-login.js';
import { describeInBrowser, focused, textOf } from '../support/chromium.js';

const PASSWORD = 'correct horse battery';
const english = JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'locales/en/common.json'), 'utf8')) as {
  errors: Record<string, string>;
};

describeInBrowser('passcodes by SMS and voice call on the hosted login, in Chromium', () => {
  const suite = useBrowserSuite({ clock: () => Date.now() + skew });
  const { newPage } = suite;
  /** The server's clock runs this far ahead of the real one (the resend cool-down is waited out). */
  let skew = 0;

  /** Signs in with the password of a new user with a mobile number; stops on the MFA page. */
  const toSecondFactor = async (page: Page, username: string) => {
    await suite.passgate.addUser(username, PASSWORD, { mobile: '+33612345642' });
    const login = await authorizationRequest(suite);
    await page.goto(login.url);
    await page.fill('#username', username);
    await page.fill('#password', PASSWORD);
    await page.click('button[type=submit].primary');
    await page.waitForURL(/\/mfa$/);
    return login;
  };
  const verify = async (page: Page, code: string) => {
    await page.fill('#code', code);
    await page.click('button[type=submit].primary');
  };
  const smsCode = () => {
    const sms = lastMessage(suite.passgate, 'sms');
    expect(sms.text).toContain(sms.code);
    return sms.code;
  };

  it('sends an SMS passcode, shows where it went (masked), and signs in with it', async () => {
    const page = await newPage();
    const login = await toSecondFactor(page, 'sam');
    expect(await textOf(page, '#sent')).toBe('We sent a passcode by SMS to +33 6 •• •• •• 42.');
    expect(lastMessage(suite.passgate, 'sms').to).toBe('+33612345642');
    await verify(page, smsCode());
    expect((await login.finish(page)).claims()!.amr).toEqual(['pwd', 'sms', 'mfa']);
  });

  it('refuses to resend before the cool-down, with the reason, and resends after it', async () => {
    const page = await newPage();
    const login = await toSecondFactor(page, 'sara');
    const first = smsCode();
    const sent = outbox(suite.passgate).length;
    await page.click('li[data-type=sms] button');
    await page.waitForSelector('#error-summary');
    expect(await textOf(page, '#error-summary p')).toBe(english.errors.MFA_RESEND_TOO_SOON);
    expect(await focused(page)).toBe('error-summary');
    expect(outbox(suite.passgate)).toHaveLength(sent);
    // Once the cool-down has passed, the same button sends a new passcode, which replaces the first.
    skew += (DEFAULT_PASSCODE_POLICY.resendAfterSeconds + 1) * 1000;
    await page.click('li[data-type=sms] button');
    await page.waitForSelector('#sent');
    expect(await page.locator('#error-summary').count()).toBe(0);
    expect(outbox(suite.passgate)).toHaveLength(sent + 1);
    const second = smsCode();
    expect(second).not.toBe(first);
    await verify(page, first);
    await page.waitForSelector('#error-summary');
    expect(await textOf(page, '#error-summary p')).toBe(english.errors.MFA_INVALID_CODE);
    await verify(page, second);
    expect((await login.finish(page)).claims()!.amr).toEqual(['pwd', 'sms', 'mfa']);
  });

  it('switches to a voice call: the passcode comes by voice and the SMS one no longer works', async () => {
    const page = await newPage();
    const login = await toSecondFactor(page, 'vic');
    const sms = smsCode();
    skew += (DEFAULT_PASSCODE_POLICY.resendAfterSeconds + 1) * 1000;
    await page.click('li[data-type=voice] button');
    await page.waitForSelector('#sent[data-channel=voice]');
    expect(await textOf(page, '#sent')).toBe('We are calling +33 6 •• •• •• 42 to read you a passcode.');
    const call = lastMessage(suite.passgate, 'voice');
    expect(call.to).toBe('+33612345642');
    expect(call.spoken).toBeTruthy();
    await verify(page, sms);
    await page.waitForSelector('#error-summary');
    expect(await textOf(page, '#error-summary p')).toBe(english.errors.MFA_INVALID_CODE);
    await verify(page, call.code);
    const amr = (await login.finish(page)).claims()!.amr as string[];
    expect(amr).toContain('mfa');
    expect(amr).not.toContain('sms');
  });
});
