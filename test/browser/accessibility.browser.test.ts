import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { beforeAll, expect, it } from 'vitest';
import { DirectoryErrors } from '../../src/directory/errors.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { authorizationRequest, useBrowserSuite } from '../support/browser-login.js';
import { describeInBrowser, focused, screenshot, textOf } from '../support/chromium.js';

const PASSWORD = 'correct horse battery';
const english = JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'locales/en/login.json'), 'utf8')) as {
  title: string;
  status: {
    title: Record<string, string>;
    message: Record<string, string>;
    todo: { locked: string; changePassword: string };
    retry: string;
  };
};

/** What Active Directory answers for these users' right password (sub-codes 775, 532, 773). */
const REFUSALS = {
  'locked-out': 'ACCOUNT_LOCKED',
  'expired-pw': 'PASSWORD_EXPIRED',
  'must-change': 'PASSWORD_MUST_CHANGE',
} as const;

/** The little of the DOM the page-side functions below use (the project compiles without lib.dom). */
interface PageNode {
  parentElement: PageNode | null;
}
interface PageWindow {
  getComputedStyle(node: PageNode): { color: string; backgroundColor: string };
}

/** The WCAG 2.1 contrast ratio of an element's text against the background it is drawn on. */
async function contrastOf(page: Page, selector: string) {
  return page
    .locator(selector)
    .first()
    .evaluate(
      (element) => {
        const parse = (css: string) => {
          const [r = 0, g = 0, b = 0, a = 1] = (css.match(/[\d.]+/g) ?? []).map(Number);
          return { r, g, b, a };
        };
        const luminance = ({ r, g, b }: { r: number; g: number; b: number }) => {
          const [R, G, B] = [r, g, b].map((v) => {
            const c = v / 255;
            return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
          }) as [number, number, number];
          return 0.2126 * R + 0.7152 * G + 0.0722 * B;
        };
        // The background is the first opaque one from the element up (translucent ones blend over it).
        const layers: { r: number; g: number; b: number; a: number }[] = [];
        const style = (node: PageNode) => (globalThis as unknown as PageWindow).getComputedStyle(node);
        for (let node: PageNode | null = element; node; node = node.parentElement) {
          const layer = parse(style(node).backgroundColor);
          if (layer.a > 0) layers.push(layer);
          if (layer.a >= 1) break;
        }
        let background = { r: 255, g: 255, b: 255 };
        for (const layer of layers.reverse()) {
          background = {
            r: layer.r * layer.a + background.r * (1 - layer.a),
            g: layer.g * layer.a + background.g * (1 - layer.a),
            b: layer.b * layer.a + background.b * (1 - layer.a),
          };
        }
        const color = style(element).color;
        const [hi, lo] = [luminance(parse(color)), luminance(background)].sort((x, y) => y - x) as [
          number,
          number,
        ];
        return {
          ratio: (hi + 0.05) / (lo + 0.05),
          color,
          background: `rgb(${background.r}, ${background.g}, ${background.b})`,
        };
      },
      undefined,
      { timeout: 5_000 },
    );
}

describeInBrowser('accessibility of the hosted login, in Chromium', () => {
  const suite = useBrowserSuite();
  const { newPage } = suite;
  const signIn = async (page: Page, username: string, password = PASSWORD) => {
    await page.fill('#username', username);
    await page.fill('#password', password);
    await page.click('button[type=submit].primary');
  };
  const expectContrast = async (page: Page, selectors: string[]) => {
    for (const selector of selectors) {
      const { ratio, color, background } = await contrastOf(page, selector);
      expect(ratio, `${selector}: ${color} on ${background}`).toBeGreaterThanOrEqual(4.5);
    }
  };

  beforeAll(async () => {
    // Each their own user: a passcode is sent on the way to their MFA page, and a second one for
    // the same user within the resend cool-down would not be.
    for (const username of ['sam', 'sue'])
      await suite.passgate.addUser(username, PASSWORD, { mobile: '+33612345642' });
    for (const username of Object.keys(REFUSALS)) await suite.passgate.addUser(username, PASSWORD);
    // The local directory has no lockout or password ageing: answer as AD does for these users.
    const directory = suite.passgate.core.directory;
    const authenticate = directory.authenticate.bind(directory);
    directory.authenticate = async (username, password) => {
      const code = REFUSALS[username as keyof typeof REFUSALS];
      if (code) throw DirectoryErrors[code]({ detail: `${username}: refused by the test directory` });
      return authenticate(username, password);
    };
  });

  it('labels every field of the login and MFA pages', async () => {
    const page = await newPage();
    await page.goto((await authorizationRequest(suite)).url);
    // Every visible field has exactly one <label> (HTMLInputElement.labels).
    const unlabelled = () =>
      page.evaluate<string[]>(
        `[...document.querySelectorAll('input:not([type=hidden])')]
          .filter((input) => input.labels?.length !== 1)
          .map((input) => input.id || input.outerHTML)`,
      );
    expect(await unlabelled()).toEqual([]);
    await signIn(page, 'sam');
    await page.waitForURL(/\/mfa$/);
    expect(await unlabelled()).toEqual([]);
  });

  it('meets WCAG 2.1 AA contrast (4.5:1) for body text, buttons, links and the error summary', async () => {
    const page = await newPage();
    await page.goto((await authorizationRequest(suite)).url);
    await signIn(page, 'sue', 'wrong password');
    await page.waitForSelector('#error-summary');
    await expectContrast(page, [
      '.brand',
      'h1',
      '.lead',
      'label[for=username]',
      '#username',
      'button[type=submit].primary',
      '.secondary-form button.link',
      'nav.languages a:not([aria-current])',
      'nav.languages a[aria-current]',
      '.error-summary h2',
      '.error-summary p',
    ]);
    await signIn(page, 'sue');
    await page.waitForURL(/\/mfa$/);
    await expectContrast(page, ['#sent', '.methods-title', '.methods li button.link', '#code']);
  });

  for (const [username, code] of Object.entries(REFUSALS)) {
    it(`explains ${code} on a page of its own that says what to do, focused on arrival`, async () => {
      const page = await newPage();
      const login = await authorizationRequest(suite);
      await page.goto(login.url);
      const response = page.waitForResponse((r) => r.request().method() === 'POST');
      await signIn(page, username);
      expect((await response).status()).toBe(code === 'ACCOUNT_LOCKED' ? 401 : 403);
      await page.waitForSelector('#account-status');
      expect(await textOf(page, 'h1')).toBe(english.status.title[code]);
      expect(await textOf(page, '#account-status')).toBe(english.status.message[code]);
      expect(await focused(page)).toBe('account-status');
      expect(await textOf(page, '#account-status-todo')).toBe(
        code === 'ACCOUNT_LOCKED' ? english.status.todo.locked : english.status.todo.changePassword,
      );
      // Nothing of the password form is left on the page, and the user name is not echoed.
      expect(await page.locator('#password').count()).toBe(0);
      expect(await page.content()).not.toContain(username);
      await expectContrast(page, ['#account-status p', '#account-status-todo', 'a.button']);
      await screenshot(page, `account-status-${code.toLowerCase()}`);
      // "Sign in again" goes back to the same sign-in, whose form still works.
      await page.click('a.button');
      expect(await textOf(page, 'h1')).toBe(english.title);
      await signIn(page, 'sam', 'wrong password');
      await page.waitForSelector('#error-summary');
    });
  }
});
