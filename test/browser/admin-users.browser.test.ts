import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { enrolOath } from '../../src/tokens/enrol.js';
import { adminSignIn, useBrowserSuite } from '../support/browser-login.js';
import { describeInBrowser, focused, screenshot, textOf } from '../support/chromium.js';
import { seedGridUsers } from '../support/user-grid-store.js';

const PASSWORD = 'correct horse battery';
const SECRETS = { ada: Buffer.from('12345678901234567890'), hugo: Buffer.from('09876543210987654321') };
const USERS = 100_000;

/** The users grid's columns as the page shows them. */
const headerColumns = (page: Page) =>
  page
    .locator('#users-table thead th[data-column]')
    .evaluateAll((cells) => cells.map((c) => c.getAttribute('data-column')));

/** Presses Tab until `matches` says the focused element is the one wanted (at most `limit` presses). */
async function tabTo(page: Page, matches: string, limit = 150): Promise<number> {
  for (let presses = 1; presses <= limit; presses++) {
    await page.keyboard.press('Tab');
    const reached = await page.evaluate<boolean>(
      `document.activeElement?.matches(${JSON.stringify(matches)}) ?? false`,
    );
    if (reached) return presses;
  }
  throw new Error(`Tab never reached ${matches}; focus is on ${await focused(page)}`);
}

describeInBrowser('the users grid and a user’s page in Chromium, over 100,000 users', () => {
  const suite = useBrowserSuite({
    config: { admin: { roles: { administrator: { users: ['ada'] }, helpdesk: { groups: ['Helpdesk'] } } } },
  });

  /** Signs in at /admin through the hosted login with the password and a fresh TOTP code. */
  const signIn = adminSignIn(suite, SECRETS, PASSWORD);

  it('finds a user among 100,000, enrols a token for them, keeps the chosen columns in a new context; helpdesk is kept out of policies; the grid works from the keyboard', async () => {
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
    const seeded = await seedGridUsers(passgate.core.database.db, USERS, { t0: Date.now() });
    const wanted = seeded[73_129]!;

    // An administrator signs in with TOTP and searches the users grid for one of 100,000.
    const first = await suite.newContext();
    const page = await first.newPage();
    await signIn(page, 'ada');
    await page.click('#nav-users');
    await page.waitForURL(/\/admin\/users$/);
    expect(await textOf(page, '#users-summary')).toBe(`${(USERS + 2).toLocaleString('en')} users`);
    await screenshot(page, 'admin-users');
    await page.fill('#q', wanted.username);
    await page.click('#users-apply');
    await page.waitForURL(/\/admin\/users\?q=/);
    expect(await page.locator('#users-table tbody tr').count()).toBe(1);
    expect(await page.locator('#users-table tbody tr').getAttribute('data-key')).toBe(wanted.id);
    await screenshot(page, 'admin-users-search');

    // The user's page: attributes, then a TOTP enrolled for them, its QR code shown once.
    await page.click(`#users-table tbody a[href="/admin/users/${wanted.id}"]`);
    await page.waitForURL(new RegExp(`/admin/users/${wanted.id}$`));
    expect(await textOf(page, '#attr-username')).toBe(wanted.username);
    await screenshot(page, 'admin-user');
    await page.click('#enrol summary');
    await page.click('#enrol-totp');
    await page.waitForURL(new RegExp(`/admin/users/${wanted.id}/tokens/enrol$`));
    expect(await page.locator('#enrolled-qr').isVisible()).toBe(true);
    expect(await textOf(page, '#enrolled-secret')).toMatch(/^[A-Z2-7]{32}$/);
    await screenshot(page, 'admin-user-enrolled');
    const tokens = await passgate.core.tokens.listByUser(wanted.id);
    expect(tokens.filter((t) => t.status === 'active' && t.type === 'totp').length).toBeGreaterThan(0);
    await page.click('#enrolled-back');
    await page.waitForURL(new RegExp(`/admin/users/${wanted.id}$`));
    await screenshot(page, 'admin-user-with-token');

    // The users grid's columns: show the mobile number first, hide the source.
    await page.click('#nav-users');
    await page.waitForURL(/\/admin\/users$/);
    await page.click('#users-columns summary');
    // The screenshot comes before the edits: taken after them, Chromium scrolled the page when the
    // mousedown on "Save" moved the focus out of the edited position field, so the mouseup (and
    // the click) landed on the form instead of the button and nothing was submitted.
    await screenshot(page, 'admin-users-columns-form');
    await page.check('#users-visible-mobile');
    await page.uncheck('#users-visible-source');
    await page.fill('input[name="order.mobile"]', '1');
    await page.selectOption('select[name="size.mobile"]', 'l');
    await page.click('#users-columns-save');
    await page.waitForURL(/\/admin\/users(\?.*)?#users-columns$/);
    const chosen = await headerColumns(page);
    expect(chosen[0]).toBe('mobile');
    expect(chosen).not.toContain('source');
    await screenshot(page, 'admin-users-chosen-columns');

    // The browser closes; a new context signs in again and finds the same columns.
    await first.close();
    const second = await suite.newPage();
    await signIn(second, 'ada');
    await second.goto(`${passgate.url}/admin/users`);
    expect(await headerColumns(second)).toEqual(chosen);

    // A helpdesk account cannot open the policies.
    const helpdesk = await suite.newPage();
    await signIn(helpdesk, 'hugo');
    expect(await helpdesk.locator('#nav-policies').count()).toBe(0);
    const refused = await helpdesk.goto(`${passgate.url}/admin/policies`);
    expect(refused?.status()).toBe(403);
    await screenshot(helpdesk, 'admin-helpdesk-policies-refused-users-journey');

    // Keyboard only: Tab to the search box, type, Enter; Tab to a row's link, Enter; back; Tab to "Next", Enter.
    await second.goto(`${passgate.url}/admin/users`);
    await tabTo(second, '#q');
    await second.keyboard.type('anna');
    await second.keyboard.press('Enter');
    await second.waitForURL(/\/admin\/users\?q=anna/);
    await tabTo(second, '#users-table tbody a');
    const target = await second.evaluate<string>('document.activeElement.getAttribute("href")');
    await second.keyboard.press('Enter');
    await second.waitForURL((url) => url.pathname === target);
    await screenshot(second, 'admin-user-by-keyboard');
    await second.goBack();
    await second.waitForURL(/\/admin\/users\?q=anna/);
    await tabTo(second, '#users-next');
    await second.keyboard.press('Enter');
    await second.waitForURL(/after=/);
    expect(await second.locator('#users-table tbody tr').count()).toBeGreaterThan(0);
    await screenshot(second, 'admin-users-next-page-by-keyboard');
  }, 900_000);
});
