import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { enrolOath } from '../../src/tokens/enrol.js';
import { timeStep, totpCode } from '../../src/tokens/oath.js';
import { authorizationRequest, useBrowserSuite } from '../support/browser-login.js';
import { describeInBrowser, screenshot, textOf } from '../support/chromium.js';

const PASSWORD = 'correct horse battery';
const SECRET = Buffer.from('12345678901234567890');
const totpNow = () => totpCode(SECRET, timeStep(Date.now(), 30), 30, { algorithm: 'SHA1', digits: 6 });

/** The login page texts of a language, straight from its locale file. */
interface LoginTexts {
  title: string;
  username: string;
  password: string;
  submit: string;
  mfa: { title: string; code: string; submit: string };
}
/** The computed word-break of the page's heading (evaluated in the page). */
const WORD_BREAK_OF_H1 = "getComputedStyle(document.querySelector('h1')).wordBreak";

const texts = (language: string): LoginTexts =>
  JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'locales', language, 'login.json'), 'utf8'));

describeInBrowser('the hosted login in other languages, in Chromium', () => {
  const suite = useBrowserSuite();
  const { newPage } = suite;
  const totpUser = async (username: string) => {
    const user = await suite.passgate.addUser(username, PASSWORD);
    await enrolOath(
      suite.passgate.core.tokens,
      { userId: user.id, label: username, type: 'totp', secret: SECRET },
      'Passgate',
    );
  };

  it('switches language with the switcher, sets the cookie, and later pages keep the language', async () => {
    await totpUser('greta');
    const de = texts('de');
    const page = await newPage({ locale: 'en-GB' });
    const login = await authorizationRequest(suite);
    await page.goto(login.url);
    expect(await textOf(page, 'h1')).toBe(texts('en').title);
    await page.click('nav.languages a[hreflang=de]');
    await page.waitForURL(/lang=de/);
    expect(await page.getAttribute('html', 'lang')).toBe('de');
    expect(await textOf(page, 'h1')).toBe(de.title);
    expect(await textOf(page, 'label[for=username]')).toBe(de.username);
    expect(await page.getAttribute('nav.languages a[aria-current]', 'hreflang')).toBe('de');
    const cookie = (await page.context().cookies()).find((c) => c.name === 'passgate_lang');
    expect(cookie).toMatchObject({ value: 'de', httpOnly: true, sameSite: 'Lax' });
    // The next pages have no ?lang= and stay German: the MFA step of this login ...
    await page.fill('#username', 'greta');
    await page.fill('#password', PASSWORD);
    await page.click('button[type=submit].primary');
    await page.waitForURL(/\/mfa$/);
    expect(await textOf(page, 'h1')).toBe(de.mfa.title);
    await page.fill('#code', totpNow());
    await page.click('button[type=submit].primary');
    expect((await login.finish(page)).claims()!.amr).toContain('mfa');
    // ... and the login page of the next sign-in, although the browser asks for English.
    await page.goto((await authorizationRequest(suite, { prompt: 'login' })).url);
    expect(await textOf(page, 'h1')).toBe(de.title);
  });

  it('breaks Korean lines between words, never inside one, on a narrow phone screen', async () => {
    const page = await newPage({ locale: 'ko-KR', viewport: { width: 320, height: 640 } });
    const login = await authorizationRequest(suite);
    await page.goto(login.url);
    expect(await page.getAttribute('html', 'lang')).toBe('ko');
    // For every text of the page: where each line starts, and the character before it.
    const breaks = await page.evaluate<Array<{ text: string; before: string }>>(`(() => {
      const found = [];
      const walker = document.createTreeWalker(document.querySelector('.card'), NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const text = node.textContent;
        let top;
        for (let i = 0; i < text.length; i++) {
          if (/\\s/.test(text[i])) continue;
          const range = document.createRange();
          range.setStart(node, i);
          range.setEnd(node, i + 1);
          const rect = range.getClientRects()[0];
          if (!rect) continue;
          if (top !== undefined && rect.top > top + 1) found.push({ text: text.trim(), before: text[i - 1] });
          top = rect.top;
        }
      }
      return found;
    })()`);
    await screenshot(page, 'login-ko-narrow');
    expect(breaks.length).toBeGreaterThan(0); // the screen is narrow enough for some text to wrap
    for (const lineBreak of breaks) expect(lineBreak, lineBreak.text).toMatchObject({ before: ' ' });
    expect(await page.evaluate<string>(WORD_BREAK_OF_H1)).toBe('keep-all');
  });

  it('leaves word breaking of the other languages alone', async () => {
    const page = await newPage({ locale: 'en-GB' });
    const login = await authorizationRequest(suite);
    await page.goto(login.url);
    expect(await page.evaluate<string>(WORD_BREAK_OF_H1)).toBe('normal');
  });

  for (const language of ['ko', 'ru']) {
    it(`renders the login and MFA pages in ${language === 'ko' ? 'Korean' : 'Russian'} (Accept-Language)`, async () => {
      const username = `user-${language}`;
      await totpUser(username);
      const expected = texts(language);
      const page = await newPage({ locale: language === 'ko' ? 'ko-KR' : 'ru-RU' });
      const login = await authorizationRequest(suite);
      await page.goto(login.url);
      expect(await page.getAttribute('html', 'lang')).toBe(language);
      expect(await textOf(page, 'h1')).toBe(expected.title);
      expect(await textOf(page, 'label[for=username]')).toBe(expected.username);
      expect(await textOf(page, 'label[for=password]')).toBe(expected.password);
      expect(await textOf(page, 'button[type=submit].primary')).toBe(expected.submit);
      expect(await page.title()).toContain(expected.title);
      await screenshot(page, `login-${language}`);
      await page.fill('#username', username);
      await page.fill('#password', PASSWORD);
      await page.click('button[type=submit].primary');
      await page.waitForURL(/\/mfa$/);
      expect(await textOf(page, 'h1')).toBe(expected.mfa.title);
      expect(await textOf(page, 'label[for=code]')).toBe(expected.mfa.code);
      expect(await textOf(page, 'button[type=submit].primary')).toBe(expected.mfa.submit);
      await screenshot(page, `mfa-${language}`);
      await page.fill('#code', totpNow());
      await page.click('button[type=submit].primary');
      expect((await login.finish(page)).claims()!.amr).toEqual(['pwd', 'otp', 'mfa']);
    });
  }
});
