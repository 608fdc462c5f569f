import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.js';

/** Debian's chromium; playwright-core downloads no browser of its own. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** The flags measured to work on the project's machines (../shared/TEST-INFRA.md, "Browser"). */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Where screenshots go (gitignored), so that a reviewer can look at the rendered pages. */
export const TEST_OUTPUT = path.join(PACKAGE_ROOT, 'test-output');

const available = existsSync(CHROMIUM_PATH);
const inCi = /^(1|true)$/i.test(process.env.CI ?? '');

/**
 * `describe` for a suite that needs the browser. Only a developer's machine without chromium
 * skips it; in CI the suite runs and {@link launchChromium} fails it, saying what to install.
 */
export const describeInBrowser = describe.skipIf(!available && !inCi);

/**
 * Chromium's flag that resolves `hostname` to a loopback address: the browser then treats the
 * origin as an ordinary remote one (not potentially trustworthy, unlike localhost and 127.0.0.0/8)
 * while every packet stays on this machine.
 */
export function mapHostToLoopback(hostname: string, address = '127.0.0.1'): string {
  return `--host-resolver-rules=MAP ${hostname} ${address}`;
}

/**
 * Launches headless Chromium (tests use {@link useChromium} or useBrowserSuite, which close it), with
 * `extraArgs` after the measured flags. playwright-core gives
 * each launch a fresh temporary profile (its own `--user-data-dir`), removed on close, so no
 * cookie or cache leaks from one file or run into the next; give each test its own context.
 */
export async function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  if (!available)
    throw new Error(
      `Chromium is missing at ${CHROMIUM_PATH}: the browser tests need it. ` +
        'Install it with `apt-get install -y --no-install-recommends chromium` (node test/support/preflight.js does, as root).',
    );
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS, ...extraArgs] });
}

/** Options of a new browser context (locale, viewport, JavaScript...). */
export type ContextOptions = Parameters<Browser['newContext']>[0];

/** Fresh pages for the tests of one file, each in a context of its own. */
export interface TestPages {
  /** A new context (its own cookies and storage), closed after the current test. */
  newContext(options?: ContextOptions): Promise<BrowserContext>;
  /** A page in a new context of its own (cookies of one test never reach another). */
  newPage(options?: ContextOptions): Promise<Page>;
}

/**
 * Contexts and pages on the browser `browser()` returns, each test's closed after it (call in a
 * `describe`): the shared part of {@link useChromium} and useBrowserSuite (browser-login.ts).
 */
export function useTestPages(browser: () => Browser): TestPages {
  const open: BrowserContext[] = [];
  afterEach(async () => {
    await Promise.allSettled(open.splice(0).map((context) => context.close()));
  });
  const newContext = async (options: ContextOptions = {}) => {
    const context = await browser().newContext(options);
    open.push(context);
    return context;
  };
  return { newContext, newPage: async (options = {}) => (await newContext(options)).newPage() };
}

/**
 * Chromium for the tests of one file (call in a `describe`): launched once before them with
 * `extraArgs`, closed after them; each test's contexts are closed after it.
 */
export function useChromium(extraArgs: readonly string[] = []): TestPages & { readonly browser: Browser } {
  let browser: Browser | undefined;
  beforeAll(async () => {
    browser = await launchChromium(extraArgs);
  });
  afterAll(async () => {
    await browser?.close();
  });
  const started = () => {
    if (!browser) throw new Error('Chromium is not running: use the pages inside tests and hooks');
    return browser;
  };
  return {
    ...useTestPages(started),
    get browser() {
      return started();
    },
  };
}

/** Saves a full-page screenshot as `test-output/<name>.png` and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(TEST_OUTPUT, { recursive: true });
  const file = path.join(TEST_OUTPUT, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/**
 * Adds an authenticator app on the self-service page and reads its QR code from a screenshot with
 * zbarimg, as a phone's camera would: the pending token's id, the otpauth URI, and the screenshot.
 */
export async function enrolFromQrCode(
  page: Page,
  screenshotName: string,
): Promise<{ tokenId: string; uri: URL; file: string }> {
  await page.click('#enrol');
  await page.waitForURL(/\/selfservice\/enrol$/);
  await page.click('button[type=submit].primary');
  await page.waitForURL(/\/selfservice\/tokens\/[^/]+\/confirm$/);
  const tokenId = decodeURIComponent(/\/tokens\/([^/]+)\/confirm$/.exec(page.url())![1]!);
  const file = await screenshot(page, screenshotName);
  const uri = new URL(execFileSync('zbarimg', ['--quiet', '--raw', file], { encoding: 'utf8' }).trim());
  return { tokenId, uri, file };
}

// The project compiles without lib.dom (so that src/ cannot use browser globals by mistake):
// the page-side expressions below are strings, evaluated in the page.

/** The visible text of the first element matching `selector`, trimmed. */
export async function textOf(page: Page, selector: string): Promise<string> {
  return ((await page.locator(selector).first().textContent()) ?? '').trim();
}

/** What has the keyboard focus: its id, else its tag name (`BUTTON`). */
export async function focused(page: Page): Promise<string> {
  return page.evaluate<string>('document.activeElement?.id || document.activeElement?.tagName || ""');
}

/** The page's scrollable width and the viewport's: wider content means horizontal scrolling. */
export async function widths(page: Page): Promise<{ scroll: number; viewport: number }> {
  return page.evaluate<{ scroll: number; viewport: number }>(
    '({ scroll: document.scrollingElement.scrollWidth, viewport: window.innerWidth })',
  );
}
