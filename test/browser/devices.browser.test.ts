import { expect, it } from 'vitest';
import { enrolOath } from '../../src/tokens/enrol.js';
import { timeStep, totpCode } from '../../src/tokens/oath.js';
import { useBrowserSuite } from '../support/browser-login.js';
import { describeInBrowser, focused, screenshot, textOf, widths } from '../support/chromium.js';

const PASSWORD = 'correct horse battery';
const SECRET = Buffer.from('12345678901234567890');
const totpNow = () => totpCode(SECRET, timeStep(Date.now(), 30), 30, { algorithm: 'SHA1', digits: 6 });

/** The accessible names the page's buttons and links have (text or aria-label), in order. */
const NAMES_OF_CONTROLS =
  "[...document.querySelectorAll('main button, main a')].map((e) => (e.getAttribute('aria-label') || e.textContent || '').trim())";

describeInBrowser('the Device Provisioning site in Chromium', () => {
  const suite = useBrowserSuite({
    config: { activesync: { enabled: true, upstream: 'http://127.0.0.1:9/Microsoft-Server-ActiveSync' } },
  });
  const { newPage } = suite;

  it("approves a held device from the notification's link, signed in with a TOTP code, by keyboard", async () => {
    const { passgate } = suite;
    const user = await passgate.addUser('nina', PASSWORD);
    await enrolOath(
      passgate.core.tokens,
      { userId: user.id, label: 'nina', type: 'totp', secret: SECRET },
      'Passgate',
    );
    const { device } = await passgate.core.devices.admit(
      {
        user: { id: user.id, name: 'nina' },
        deviceId: 'ApplNINA0001',
        deviceType: 'iPhone',
        model: 'iPhone 15',
        userAgent: 'Apple-iPhone16C2/2104.123',
        address: '198.51.100.23',
        country: 'DE',
        at: Date.now(),
      },
      { address: '198.51.100.23', door: 'activesync' },
    );

    const page = await newPage();
    await page.goto(`${passgate.url}/devices/approve/${device.id}`);
    await page.waitForURL(/\/login\/dev-[\w-]+$/);
    await page.fill('#username', 'nina');
    await page.fill('#password', PASSWORD);
    await page.click('button[type=submit].primary');
    await page.waitForURL(/\/mfa$/);
    await page.fill('#code', totpNow());
    await page.click('button[type=submit].primary');
    await page.waitForURL(new RegExp(`/devices/approve/${device.id}$`));

    expect(await textOf(page, 'h1')).toBe('Mail device');
    expect(await textOf(page, '.device-model')).toBe('iPhone 15');
    expect(await textOf(page, '.device-from')).toBe('198.51.100.23 · Germany');
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    // Every control has a name; nothing overflows a phone's width.
    const names = await page.evaluate<string[]>(NAMES_OF_CONTROLS);
    expect(names.length).toBeGreaterThanOrEqual(3);
    expect(names.every((name) => name.length > 0)).toBe(true);
    await page.setViewportSize({ width: 360, height: 740 });
    const { scroll, viewport } = await widths(page);
    expect(scroll).toBeLessThanOrEqual(viewport);
    await screenshot(page, 'devices-approve');

    // By keyboard: the first control of the page is the Approve button.
    await page.locator('body').focus();
    await page.keyboard.press('Tab');
    expect(await focused(page)).toBe('approve');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/devices\?done=approved$/);
    expect(await textOf(page, '#done')).toBe(
      'The device is approved. It syncs your mail at its next attempt.',
    );
    expect(await page.locator(`[data-device="${device.id}"][data-state="approved"]`).count()).toBe(1);
    await screenshot(page, 'devices-list');
    expect((await passgate.core.repositories.devices.get(device.id))?.state).toBe('approved');
  });

  it('shows a device that is not the own one as not found, the error summary focused on arrival', async () => {
    const { passgate } = suite;
    const owner = await passgate.addUser('olaf', PASSWORD);
    const { device } = await passgate.core.devices.admit(
      {
        user: { id: owner.id, name: 'olaf' },
        deviceId: 'ApplOLAF0001',
        deviceType: 'iPhone',
        model: null,
        userAgent: null,
        address: null,
        country: null,
        at: Date.now(),
      },
      { address: null, door: 'activesync' },
    );
    const user = await passgate.addUser('pia', PASSWORD);
    await enrolOath(
      passgate.core.tokens,
      { userId: user.id, label: 'pia', type: 'totp', secret: SECRET },
      'Passgate',
    );
    const page = await newPage();
    await page.goto(`${passgate.url}/devices/approve/${device.id}`);
    await page.waitForURL(/\/login\/dev-[\w-]+$/);
    await page.fill('#username', 'pia');
    await page.fill('#password', PASSWORD);
    await page.click('button[type=submit].primary');
    await page.waitForURL(/\/mfa$/);
    await page.fill('#code', totpNow());
    await page.click('button[type=submit].primary');
    await page.waitForURL(new RegExp(`/devices/approve/${device.id}$`));
    expect(await page.getAttribute('#error-summary', 'data-code')).toBe('DEVICE_NOT_FOUND');
    expect(await focused(page)).toBe('error-summary');
    expect(await textOf(page, '#error-summary p')).toBe('This device does not exist or is not yours.');
    expect(await page.content()).not.toMatch(/olaf|ApplOLAF0001/i);
    await screenshot(page, 'devices-not-found');
  });
});
