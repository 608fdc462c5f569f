import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { AUTHENTICATION_KIND } from '../../src/policy/authentication/rule.js';
import { administratorPolicyStore } from '../../src/policy/policy-store.js';
import { enrolOath } from '../../src/tokens/enrol.js';
import { timeStep, totpCode } from '../../src/tokens/oath.js';
import { useBrowserSuite } from '../support/browser-login.js';
import { describeInBrowser, screenshot, textOf } from '../support/chromium.js';

const PASSWORD = 'correct horse battery';
const SECRET = Buffer.from('12345678901234567890');

describeInBrowser('policies in the administration site, in Chromium', () => {
  const suite = useBrowserSuite({ config: { admin: { roles: { administrator: { users: ['ada'] } } } } });

  /** What the page reports as an error (a CSP violation, a script error) or failed to load. */
  const watchErrors = (page: Page) => {
    const errors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource'))
        errors.push(message.text());
    });
    page.on('pageerror', (error) => errors.push(error.message));
    return errors;
  };

  it('edits a rule (an error at its field first), sees it in the list and runs the simulator', async () => {
    const { passgate } = suite;
    const ada = await passgate.addUser('ada', PASSWORD);
    await enrolOath(
      passgate.core.tokens,
      { userId: ada.id, label: 'ada', type: 'totp', secret: SECRET },
      'Passgate',
    );
    await passgate.addUser('tess', PASSWORD, { groups: ['Testers'] });
    const store = administratorPolicyStore(passgate.core);
    await store.put(AUTHENTICATION_KIND, 'testers-office', {
      description: 'Testers sign in with the password from the office',
      when: { groups: ['Testers'], networks: ['10.0.0.0/8'] },
      outcome: { action: 'allow' },
    });
    await store.put(AUTHENTICATION_KIND, 'embargo', {
      when: { countries: ['KP'] },
      outcome: { action: 'deny' },
    });

    const page = await suite.newPage({ viewport: { width: 1280, height: 900 } });
    const errors = watchErrors(page);
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

    await page.click('#nav-policies');
    await page.waitForURL(/\/admin\/policies$/);
    expect(
      await page
        .locator('#rules tbody tr')
        .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-rule'))),
    ).toEqual(['testers-office', 'embargo']);
    await screenshot(page, 'admin-policies');

    // Edit the first rule: the outcome's other variants are hidden until chosen.
    await page.click('#rules a[href$="/testers-office/edit"]');
    await page.waitForURL(/\/testers-office\/edit$/);
    expect(await page.locator('fieldset[data-variant="mfa"]').isHidden()).toBe(true);
    await page.selectOption('#f-outcome', 'mfa');
    expect(await page.locator('fieldset[data-variant="mfa"]').isVisible()).toBe(true);
    await page.fill('#f-when_networks', '10.0.0.0/8\n192.168.300.0/24');
    await page.fill('#f-outcome_mfa_outcome_methods', 'totp');
    await page.click('#policy-save');
    await page.waitForLoadState();
    expect(await textOf(page, '#f-when_networks-error')).toContain(
      '"192.168.300.0/24" is not an IP address or CIDR range',
    );
    expect(await page.getAttribute('#f-when_networks', 'aria-invalid')).toBe('true');
    await screenshot(page, 'admin-policy-form-error');
    expect((await store.get(AUTHENTICATION_KIND, 'testers-office')).document).toMatchObject({
      outcome: { action: 'allow' },
    });

    await page.fill('#f-when_networks', '10.0.0.0/8\n192.168.30.0/24');
    await page.click('#policy-save');
    await page.waitForURL(/\/admin\/policies\?done=saved/);
    expect(await textOf(page, '#policies-notice')).toBe('Saved testers-office.');
    expect((await store.get(AUTHENTICATION_KIND, 'testers-office')).document).toMatchObject({
      when: { networks: ['10.0.0.0/8', '192.168.30.0/24'] },
      outcome: { action: 'mfa', methods: ['totp'] },
    });

    // The simulator on the same page: tess from the office network now needs a second factor.
    await page.fill('#sim-user', 'tess');
    await page.fill('#sim-ip', '192.168.30.7');
    await page.selectOption('#sim-door', 'saml');
    await page.click('#simulate');
    await page.waitForURL(/simulate=1/);
    expect(await page.getAttribute('#simulation', 'data-rule')).toBe('testers-office');
    expect(await textOf(page, '#simulation-action')).toBe('mfa');
    expect(await textOf(page, '#simulation-reason')).toBe(
      'rule "testers-office" matched: Testers sign in with the password from the office',
    );
    await page.locator('#simulation').scrollIntoViewIfNeeded();
    await screenshot(page, 'admin-policies-simulator');
    expect(errors).toEqual([]);
  });
});
