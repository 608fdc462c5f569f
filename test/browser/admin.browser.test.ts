import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { enrolOath } from '../../src/tokens/enrol.js';
import { adminSignIn, useBrowserSuite } from '../support/browser-login.js';
import { describeInBrowser, screenshot, textOf } from '../support/chromium.js';

const PASSWORD = 'correct horse battery';
const SECRETS = { ada: Buffer.from('12345678901234567890'), hugo: Buffer.from('09876543210987654321') };

/** The audit grid's columns as the page shows them. */
const headerColumns = (page: Page) =>
  page
    .locator('#audit-table thead th')
    .evaluateAll((cells) => cells.map((c) => c.getAttribute('data-column')));

describeInBrowser('the administration site in Chromium', () => {
  const suite = useBrowserSuite({
    config: { admin: { roles: { administrator: { users: ['ada'] }, helpdesk: { groups: ['Helpdesk'] } } } },
  });

  /** Signs in at /admin through the hosted login with the password and a fresh TOTP code. */
  const signIn = adminSignIn(suite, SECRETS, PASSWORD);

  /**
   * What the page's console reports as an error (a CSP violation, a script error), and the site's
   * own resources that failed to load (the browser's favicon request aside: there is none).
   */
  const watchErrors = (page: Page) => {
    const errors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource'))
        errors.push(message.text());
    });
    page.on('response', (response) => {
      const url = new URL(response.url());
      if (response.status() >= 400 && url.pathname !== '/favicon.ico')
        errors.push(`${response.status()} ${url.pathname}`);
    });
    page.on('pageerror', (error) => errors.push(error.message));
    return errors;
  };

  it('remembers the audit grid columns an administrator chose in a new browser context; a helpdesk cannot open policies', async () => {
    const { passgate } = suite;
    for (const [name, groups] of [
      ['ada', []],
      ['hugo', ['helpdesk']],
    ] as const) {
      const user = await passgate.addUser(name, PASSWORD, { groups: [...groups] });
      await enrolOath(
        passgate.core.tokens,
        { userId: user.id, label: name, type: 'totp', secret: SECRETS[name] },
        'Passgate',
      );
    }

    // An administrator signs in with TOTP and opens the audit grid.
    const first = await suite.newContext();
    const page = await first.newPage();
    const errors = watchErrors(page);
    await signIn(page, 'ada');
    expect(await textOf(page, '#admin-role')).toBe('Administrator');
    await screenshot(page, 'admin-home');
    await page.click('#nav-audit');
    await page.waitForURL(/\/admin\/audit$/);
    expect(await headerColumns(page)).toEqual(['at', 'type', 'outcome', 'username', 'admin', 'address']);
    expect(await page.locator('#audit-table tbody tr').count()).toBeGreaterThan(0);
    await screenshot(page, 'admin-audit');

    // Columns: hide the address, show the details first and wide.
    await page.click('#audit-columns summary');
    await page.uncheck('#audit-visible-address');
    await page.check('#audit-visible-details');
    await page.fill('input[name="order.details"]', '1');
    await page.selectOption('select[name="size.details"]', 'xl');
    await screenshot(page, 'admin-audit-columns-form');
    await page.click('#audit-columns-save');
    await page.waitForURL(/\/admin\/audit\?.*#audit-columns$/);
    const chosen = ['details', 'at', 'type', 'outcome', 'username', 'admin'];
    expect(await headerColumns(page)).toEqual(chosen);
    expect(await page.locator('#audit-table col').first().getAttribute('class')).toBe('w-xl');
    await screenshot(page, 'admin-audit-chosen-columns');
    expect(errors).toEqual([]);

    // The browser closes; a new context (no cookie) signs in again and finds the same columns.
    await first.close();
    const second = await suite.newPage();
    await signIn(second, 'ada');
    await second.goto(`${passgate.url}/admin/audit`);
    expect(await headerColumns(second)).toEqual(chosen);

    // A helpdesk account signs in: no Policies in its navigation, and the page itself is refused.
    const helpdesk = await suite.newPage();
    await signIn(helpdesk, 'hugo');
    expect(await textOf(helpdesk, '#admin-role')).toBe('Helpdesk');
    expect(await helpdesk.locator('#nav-policies').count()).toBe(0);
    expect(await helpdesk.locator('#nav-audit').count()).toBe(1);
    const refused = await helpdesk.goto(`${passgate.url}/admin/policies`);
    expect(refused?.status()).toBe(403);
    expect(await helpdesk.locator('#error-message').getAttribute('data-code')).toBe('ADMIN_FORBIDDEN');
    await screenshot(helpdesk, 'admin-helpdesk-policies-refused');

    // The administrator may open it.
    await second.goto(`${passgate.url}/admin/policies`);
    expect(await textOf(second, '#policies-title')).toBe('Policies');
    await screenshot(second, 'admin-policies');
  }, 180_000);
});
