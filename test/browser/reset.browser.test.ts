// The password-reset site in Chromium, on the real Samba AD DC of the run, with the passcode sent
// by SMS through a real SMPP peer: the whole reset in French and in Korean on a phone-sized
// screen, and an unlock with JavaScript turned off. Screenshots go to test-output/.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.js';
import type { startSmsc } from '../dispatch/smsc.js';
import { giveResetSeat } from '../reset/support.js';
import { adDirectoryConfig, directBind } from '../support/ad.js';
import { describeInBrowser, screenshot, textOf, useChromium, widths } from '../support/chromium.js';
import { attr, createUser, holdDc, ldapsearch, requireDc } from '../support/samba/index.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { smppGateway, startGatewaySmsc } from '../support/smsc-gateway.js';

const dc = requireDc(inject('samba'));
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };
const texts = (language: string) =>
  JSON.parse(readFileSync(path.join(PACKAGE_ROOT, `locales/${language}/reset.json`), 'utf8')) as {
    verified: { title: string };
    done: { resetTitle: string; unlockTitle: string };
    rules: { minLength: string };
  };

describeInBrowser('the reset site in Chromium, with SMS passcodes from a real SMPP peer', () => {
  const { newPage } = useChromium();
  let smsc: Awaited<ReturnType<typeof startSmsc>>;
  let passgate: TestServer;
  let release: () => Promise<void>;
  let site: string;

  beforeAll(async () => {
    release = await holdDc(dc, 'shared');
    smsc = await startGatewaySmsc();
    passgate = await startTestServer({
      config: {
        directory: adDirectoryConfig(dc),
        dispatch: {
          gateways: [smppGateway(smsc)],
        },
        reset: {
          neutralMinMs: 200,
          sites: [{ name: 'staff', path: '/reset', title: 'Example Corp', colours: { accent: '#7a1fa2' } }],
        },
      },
    });
    site = `${passgate.url}/reset`;
  });
  afterAll(async () => {
    await passgate?.close();
    await smsc?.close();
    await release?.();
  });

  /** An AD user with a mobile number and a reset seat. */
  const adUser = async (sam: string, mobile: string) => {
    const user = await createUser(dc, { sam, mobile });
    const stored = (await passgate.core.directory.find(sam))!;
    await giveResetSeat(passgate, stored.id);
    return user;
  };

  /** The passcode of the latest SMS the SMPP peer took for a number. */
  const smsCode = (to: string) => {
    const text = smsc.state.submits.filter((s) => s.destination.endsWith(to.slice(1))).at(-1)?.text ?? '';
    const code = /\b(\d{6,8})\b/.exec(text)?.[1];
    if (!code) throw new Error(`no passcode in the SMS to ${to}: "${text}"`);
    return code;
  };

  /** The user name, then the SMS passcode on the hosted login: stops on the verified page. */
  const verify = async (page: Page, username: string, mobile: string, lang?: string) => {
    await page.goto(`${site}${lang ? `?lang=${lang}` : ''}`);
    await page.fill('#username', username);
    await page.click('button[type=submit].primary');
    await page.waitForURL(/\/mfa$/);
    await page.fill('#code', smsCode(mobile));
    await page.click('button[type=submit].primary');
    await page.waitForURL(/\/reset\/verified$/);
  };

  for (const [language, sam, mobile] of [
    ['fr', 'rsb-fr', '+33612340001'],
    ['ko', 'rsb-ko', '+821012340002'],
  ] as const) {
    it(`resets a password in ${language} on a phone-sized screen, the passcode sent over SMPP`, async () => {
      const user = await adUser(sam, mobile);
      const page = await newPage({ ...PHONE, locale: language });
      await verify(page, sam, mobile, language);
      const t = texts(language);
      expect(await page.getAttribute('html', 'lang')).toBe(language);
      expect(await textOf(page, 'h1')).toBe(t.verified.title);
      expect(await textOf(page, '#site-title')).toBe('Example Corp');
      expect(await textOf(page, '#rules [data-rule=minLength]')).toBe(
        t.rules.minLength.replace('{{n}}', '7'),
      );
      const accent = await page.evaluate<string>(
        "getComputedStyle(document.querySelector('button.primary')).backgroundColor",
      );
      expect(accent).toBe('rgb(122, 31, 162)');
      const { scroll, viewport } = await widths(page);
      expect(scroll).toBeLessThanOrEqual(viewport);
      await screenshot(page, `reset-${language}-verified`);
      await page.fill('#password', 'Nouveau-Passw0rd-7');
      await page.fill('#confirm', 'Nouveau-Passw0rd-7');
      await page.click('#reset-submit');
      await page.waitForSelector('#done[data-action=reset]');
      expect(await textOf(page, 'h1')).toBe(t.done.resetTitle);
      await screenshot(page, `reset-${language}-done`);
      expect(await directBind(dc, user.upn, 'Nouveau-Passw0rd-7')).toBe('ok');
      // The notice went by SMS too (the user has no e-mail address), through the same SMPP peer.
      const [notice] = await passgate.core.audit.recent({ type: 'reset.notice', limit: 1 });
      expect(notice).toMatchObject({ outcome: 'success', username: sam, details: { channel: 'sms' } });
      expect(
        smsc.state.submits.filter((s) => s.destination.endsWith(mobile.slice(1))).length,
      ).toBeGreaterThan(1);
    });
  }

  it('unlocks an account without JavaScript', async () => {
    const user = await adUser('rsb-nojs', '+33612340003');
    const page = await newPage({ javaScriptEnabled: false });
    await verify(page, 'rsb-nojs', '+33612340003');
    await page.click('#unlock-submit');
    await page.waitForSelector('#done[data-action=unlock]');
    expect(await textOf(page, 'h1')).toBe(texts('en').done.unlockTitle);
    await screenshot(page, 'reset-unlock-no-javascript');
    const [entry] = await ldapsearch(dc, '(sAMAccountName=rsb-nojs)', ['lockoutTime']);
    expect(attr(entry!, 'lockoutTime') ?? '0').toBe('0');
    expect(await directBind(dc, user.upn, user.password!)).toBe('ok');
  });
});
