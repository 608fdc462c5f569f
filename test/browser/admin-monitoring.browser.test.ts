import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import type { SignInAttemptRow } from '../../src/store/tables.js';
import { enrolOath } from '../../src/tokens/enrol.js';
import { timeStep, totpCode } from '../../src/tokens/oath.js';
import { useBrowserSuite } from '../support/browser-login.js';
import { describeInBrowser, screenshot } from '../support/chromium.js';

const PASSWORD = 'correct horse battery';
const SECRET = Buffer.from('12345678901234567890');
const HOUR = 3_600_000;

describeInBrowser('the monitoring page in Chromium', () => {
  const suite = useBrowserSuite({ config: { admin: { roles: { administrator: { users: ['ada'] } } } } });

  /** The countries the map shades (links), by code. */
  const shaded = (page: Page) =>
    page
      .locator('svg.world-map a.country-link')
      .evaluateAll((links) => links.map((l) => l.getAttribute('data-country')).sort());

  /** A country's tooltip on the map (its SVG title: name and count). */
  const tooltip = (page: Page, country: string) =>
    page.locator(`svg.world-map a.country-link[data-country="${country}"] > title`).textContent();

  /** The attempts the chart draws, summed from its bars' titles ("2026-12-01: Success 3"). */
  const charted = (page: Page) =>
    page
      .locator('#chart svg rect > title')
      .evaluateAll((titles) =>
        titles.reduce(
          (sum, t) => sum + Number(/ ([\d,]+)$/.exec(t.textContent ?? '')?.[1]?.replace(/,/g, '') ?? 0),
          0,
        ),
      );

  /** A drill-down table's rows as `key=count` (the count is the row's second cell). */
  const drillRows = (page: Page, table: string) =>
    page
      .locator(`#${table} tbody tr`)
      .evaluateAll((rows) =>
        rows
          .map((r) => `${r.getAttribute('data-key')}=${r.querySelectorAll('td')[1]?.textContent ?? ''}`)
          .sort(),
      );

  /** The attempts grid's rows (the page's size is far above what is seeded). */
  const gridRows = (page: Page) => page.locator('#attempts-table tbody tr[data-key]').count();

  it('renders the map, opens the Netherlands from it, changes with a filter, and works with the keyboard', async () => {
    const { passgate } = suite;
    const ada = await passgate.addUser('ada', PASSWORD);
    await enrolOath(
      passgate.core.tokens,
      { userId: ada.id, label: 'ada', type: 'totp', secret: SECRET },
      'Passgate',
    );
    // Successes from NL, US and JP over the last days; failures of the last day from NL and BR only.
    const now = Date.now();
    const row = (
      n: number,
      address: string,
      country: string,
      result: string,
      ago: number,
    ): SignInAttemptRow => ({
      id: `browser-${String(n).padStart(4, '0')}`,
      at: now - ago,
      user_id: null,
      user_name: `user${n % 3}`,
      door: 'oidc',
      application: 'portal',
      address,
      network: null,
      country,
      first_seen: 0,
      result,
      reason: null,
      rule: null,
      action: null,
      method: 'password',
    });
    await passgate.core.repositories.signInAttempts.insertMany([
      ...Array.from({ length: 6 }, (_, n) => row(n, '145.100.1.1', 'NL', 'success', (n + 2) * 24 * HOUR)),
      row(10, '8.8.8.8', 'US', 'success', 3 * 24 * HOUR),
      row(11, '133.11.0.1', 'JP', 'success', 4 * 24 * HOUR),
      row(12, '145.100.1.1', 'NL', 'wrong_password', 2 * HOUR),
      row(13, '200.160.0.8', 'BR', 'wrong_code', 3 * HOUR),
    ]);

    const page = await suite.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${passgate.url}/admin`);
    await page.waitForURL(/\/login\/adm-[\w-]+$/);
    await page.fill('#username', 'ada');
    await page.fill('#password', PASSWORD);
    await page.click('button[type=submit].primary');
    await page.waitForURL(/\/mfa$/);
    await page.fill(
      '#code',
      totpCode(SECRET, timeStep(Date.now(), 30), 30, { algorithm: 'SHA1', digits: 6 }),
    );
    await page.click('button[type=submit].primary');
    await page.waitForURL(/\/admin$/);

    await page.click('#nav-monitoring');
    await page.waitForURL(/\/admin\/monitoring$/);
    expect(await page.locator('svg.world-map').isVisible()).toBe(true);
    expect(await shaded(page)).toEqual(['BR', 'JP', 'NL', 'US']);
    expect(await tooltip(page, 'NL')).toBe('Netherlands: 7 attempts');
    expect(await tooltip(page, 'BR')).toBe('Brazil: 1 attempt');
    expect(await charted(page)).toBe(10);
    expect(await gridRows(page)).toBe(10);
    await screenshot(page, 'admin-monitoring-map');

    await page.locator('svg.world-map a.country-link[data-country="NL"]').click();
    await page.waitForURL(/country=NL/);
    expect(await page.locator('#drill-down').getAttribute('data-country')).toBe('NL');
    expect(await page.locator('#drill-total').textContent()).toContain('7 attempts');
    expect(await drillRows(page, 'drill-results')).toEqual(['success=6', 'wrong_password=1']);
    expect(await drillRows(page, 'drill-applications')).toEqual(['oidc/portal=portal']);
    expect(await charted(page)).toBe(7);
    expect(await gridRows(page)).toBe(7);
    await screenshot(page, 'admin-monitoring-netherlands');

    // Failures of the last day: the filter form, then the map has only NL and BR.
    await page.goto(`${passgate.url}/admin/monitoring`);
    await page.selectOption('#period', '24h');
    await page.selectOption('#result', 'failures');
    await page.click('#monitoring-apply');
    await page.waitForURL(/result=failures/);
    expect(await shaded(page)).toEqual(['BR', 'NL']);
    expect(await tooltip(page, 'NL')).toBe('Netherlands: 1 attempt');
    expect(await charted(page)).toBe(2);
    expect(await gridRows(page)).toBe(2);
    expect(page.url()).toContain('period=24h');
    await screenshot(page, 'admin-monitoring-failures-last-day');

    // The keyboard: Tab reaches a country of the map, Enter opens its drill-down.
    await page.goto(`${passgate.url}/admin/monitoring`);
    // The focused element is read with document.activeElement: a `:focus` locator waits (30 s)
    // whenever the focus is inside a date field's own parts, which made this loop outlast the test.
    let focused = '';
    for (let i = 0; i < 80 && !focused; i++) {
      await page.keyboard.press('Tab');
      focused = await page.evaluate<string>(
        `document.activeElement?.closest('a.country-link')?.getAttribute('data-country') ?? ''`,
      );
    }
    expect(['BR', 'JP', 'NL', 'US']).toContain(focused);
    await page.keyboard.press('Enter');
    await page.waitForURL(new RegExp(`country=${focused}`));
    expect(await page.locator('#drill-down').getAttribute('data-country')).toBe(focused);
    expect(errors).toEqual([]);
  }, 180_000);
});
