import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ConfigInput } from '../../src/config/schema.js';
import { timeStep, totpCode } from '../../src/tokens/oath.js';
import { ACTIVESYNC_ON } from '../devices/support.js';
import { useBrowserSuite } from '../support/browser-login.js';
import { describeInBrowser, screenshot, textOf } from '../support/chromium.js';
import { smppGateway, startGatewaySmsc } from '../support/smsc-gateway.js';
import { smtpGateway, startSmtpRelay } from '../support/smtp-relay.js';
import { addTotpTestUser, TEST_TOTP_SECRET } from '../support/totp-user.js';

const PASSWORD = 'correct horse battery';
const repository = (file: string) => readFileSync(fileURLToPath(new URL(`../../${file}`, import.meta.url)));
const OFFICE365 = repository('metadata/saml/office365.xml');
const PSKC = repository('test/fixtures/pskc/aes256-hmac-sha256.xml');
const PSK = '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f';

describeInBrowser('the gateways, applications, token import and devices pages in Chromium', () => {
  // The gateways' addresses are known once the SMPP peer and the SMTP relay listen: this hook
  // runs before the suite's and fills the configuration the suite starts Passgate with.
  const config: ConfigInput = { admin: { roles: { administrator: { users: ['ada'] } } }, ...ACTIVESYNC_ON };
  let smsc: Awaited<ReturnType<typeof startGatewaySmsc>>;
  let relay: Awaited<ReturnType<typeof startSmtpRelay>>;
  beforeAll(async () => {
    [smsc, relay] = await Promise.all([startGatewaySmsc(), startSmtpRelay()]);
    config.dispatch = { gateways: [smppGateway(smsc), smtpGateway(relay.port)] };
  });
  afterAll(async () => {
    await Promise.allSettled([smsc?.close(), relay?.close()]);
  });
  const suite = useBrowserSuite({ config });

  // One administrator's page for the whole file: signed in once, shared by the three journeys.
  let context: BrowserContext;
  let page: Page;
  const errors: string[] = [];
  beforeAll(async () => {
    const { passgate } = suite;
    await addTotpTestUser(passgate, 'ada', PASSWORD);
    await passgate.addUser('alice', PASSWORD);
    await passgate.addUser('bob', PASSWORD);
    context = await suite.browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${passgate.url}/admin`);
    await page.waitForURL(/\/login\/adm-[\w-]+$/);
    await page.fill('#username', 'ada');
    await page.fill('#password', PASSWORD);
    await page.click('button[type=submit].primary');
    await page.waitForURL(/\/mfa$/);
    const code = totpCode(TEST_TOTP_SECRET, timeStep(Date.now(), 30), 30, { algorithm: 'SHA1', digits: 6 });
    await page.fill('#code', code);
    await page.click('button[type=submit].primary');
    await page.waitForURL(/\/admin$/);
  }, 120_000);
  afterAll(async () => {
    await context?.close();
  });

  /** A gateway's figure in the page's table: `sent`, `delivered` or `failed` of the last hour. */
  const lastHour = (gateway: string, figure: string) =>
    textOf(page, `#gateways-table tr[data-gateway="${gateway}"] td.${figure}`);

  it('sends a test SMS through the real SMPP peer and a test e-mail through the real SMTP relay, each from its own form', async () => {
    const { passgate } = suite;
    await page.click('#nav-gateways');
    await page.waitForURL(/\/admin\/gateways$/);
    expect(
      await page
        .locator('#gateways-table tbody tr')
        .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-gateway'))),
    ).toEqual(['smsc', 'mail']);
    expect(await page.locator('tr[data-gateway="smsc"] td.breaker').getAttribute('data-breaker')).toBe(
      'closed',
    );
    expect(await lastHour('smsc', 'sent')).toBe('0');
    await screenshot(page, 'admin-gateways');

    await page.fill('#to-smsc', '+33 6 12 34 56 78');
    await page.click('#test-smsc button[type=submit]');
    await page.waitForSelector('#gateway-result');
    expect(await page.locator('#gateway-result').getAttribute('data-outcome')).toBe('sent');
    expect(await textOf(page, '#gateway-result p')).toMatch(
      /^smsc accepted the test message to .+ in \d+ ms\.$/,
    );
    expect(smsc.state.submits.map((s) => s.destination)).toEqual(['33612345678']);
    expect(smsc.state.submits[0]!.text).toContain('Passgate test message');
    const [sms] = await passgate.core.audit.recent({ type: 'admin.gateway.test' });
    expect(sms).toMatchObject({
      details: { admin: 'ada', after: { gateway: 'smsc', channel: 'sms', outcome: 'sent' } },
    });
    await screenshot(page, 'admin-gateways-test-sms');

    await page.goto(`${passgate.url}/admin/gateways`);
    await page.fill('#to-mail', 'ops@example.test');
    await page.click('#test-mail button[type=submit]');
    await page.waitForSelector('#gateway-result');
    expect(await page.locator('#gateway-result').getAttribute('data-outcome')).toBe('sent');
    expect(relay.received.map((m) => m.to)).toEqual([['ops@example.test']]);

    // The table counts what was sent, from the store.
    await page.goto(`${passgate.url}/admin/gateways`);
    expect(await lastHour('smsc', 'sent')).toBe('1');
    expect(await lastHour('mail', 'sent')).toBe('1');
    expect(await lastHour('mail', 'failed')).toBe('0');
  });

  it('uploads a service provider’s metadata, shows it loaded after the reload, and refuses a hostile file with its message', async () => {
    const { passgate } = suite;
    const folder = passgate.core.config.metadataDir;
    const files = () => readdirSync(folder, { recursive: true }).map(String).sort();
    await page.click('#nav-applications');
    await page.waitForURL(/\/admin\/applications$/);
    expect(await page.locator('article[data-application="saml/m365"]').count()).toBe(0);

    await page.selectOption('#kind', 'saml');
    await page.fill('#name', 'm365');
    await page.setInputFiles('#file', {
      name: 'federation.xml',
      mimeType: 'application/xml',
      buffer: OFFICE365,
    });
    await page.selectOption('#profile', 'office365');
    await page.click('#upload-submit');
    await page.waitForSelector('#upload-written');
    expect(await textOf(page, '#upload-written')).toContain('m365 was written');
    expect(readFileSync(path.join(folder, 'saml', 'm365.xml'))).toEqual(OFFICE365);
    expect(readFileSync(path.join(folder, 'saml', 'm365.yaml'), 'utf8')).toBe('profile: office365\n');
    await screenshot(page, 'admin-applications-uploaded');

    await passgate.server.services()!.reload();
    await page.goto(`${passgate.url}/admin/applications`);
    const m365 = page.locator('article[data-application="saml/m365"]');
    expect(await m365.getAttribute('data-state')).toBe('loaded');
    expect(await m365.textContent()).toContain('urn:federation:MicrosoftOnline');
    expect(await m365.locator('pre.command').first().textContent()).toContain(
      'New-MgDomainFederationConfiguration',
    );
    await screenshot(page, 'admin-applications-loaded');

    // A file with an external entity: refused with the reason, nothing written.
    const before = files();
    await page.selectOption('#kind', 'saml');
    await page.fill('#name', 'xxe');
    await page.setInputFiles('#file', {
      name: 'xxe.xml',
      mimeType: 'application/xml',
      buffer: Buffer.from(
        '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><d>&x;</d>',
      ),
    });
    await page.click('#upload-submit');
    await page.waitForSelector('#upload-error');
    expect(await textOf(page, '#upload-error')).toContain('document type declaration');
    expect(await page.content()).not.toContain('root:');
    expect(files()).toEqual(before);
    await screenshot(page, 'admin-applications-refused');
  });

  it('imports an encrypted PSKC file: the dry run shows the tokens and writes nothing, the import writes what it showed', async () => {
    const { passgate } = suite;
    const serials = async () =>
      (
        await passgate.core.database.db
          .selectFrom('tokens')
          .leftJoin('users', 'users.id', 'tokens.user_id')
          .select(['tokens.serial', 'users.username'])
          .where('tokens.serial', 'is not', null)
          .orderBy('tokens.serial')
          .execute()
      ).map((t) => `${t.serial}:${t.username ?? ''}`);
    await page.click('#nav-token-import');
    await page.waitForURL(/\/admin\/tokens\/import$/);
    await page.setInputFiles('#file', { name: 'delivery.xml', mimeType: 'application/xml', buffer: PSKC });
    await page.fill('#psk', PSK);
    await page.click('#import-check');
    await page.waitForSelector('#import-plan');
    const shown = await page
      .locator('#plan-table tr.accepted')
      .evaluateAll((rows) =>
        rows.map((r) => `${r.getAttribute('data-serial')}:${r.querySelectorAll('td')[3]?.textContent ?? ''}`),
      );
    expect(shown.map((s) => s.split(':')[0])).toEqual(['EXT00001', 'EXT00002', 'EXT00003']);
    expect(await textOf(page, '#plan-problems')).toMatch(/^0 /);
    expect(await page.content()).not.toContain(PSK);
    expect(await serials()).toEqual([]);
    await screenshot(page, 'admin-token-import-dry-run');

    await page.click('#import-run');
    await page.waitForSelector('#import-done');
    expect(await textOf(page, '#import-done')).toMatch(
      /^Imported 3 tokens \(\d HOTP, \d TOTP\) for \d users?\.$/,
    );
    expect(await serials()).toEqual(shown);
    const [event] = await passgate.core.audit.recent({ type: 'admin.token.import' });
    expect(event).toMatchObject({
      details: { admin: 'ada', after: { via: 'admin', file: 'delivery.xml', tokens: 3 } },
    });
    await screenshot(page, 'admin-token-import-done');
    expect(errors).toEqual([]);
  });

  it('shows held ActiveSync devices and approves one from the devices grid', async () => {
    const { passgate } = suite;
    const alice = (await passgate.core.users.findByUsername('alice'))!;
    const { device } = await passgate.core.devices.admit(
      {
        user: { id: alice.id, name: alice.username },
        deviceId: 'ALICEPHONE1',
        deviceType: 'iPhone',
        model: 'iPhone 15',
        userAgent: 'Apple-iPhone16C2/2104.123',
        address: '203.0.113.7',
        country: 'FR',
        at: Date.now(),
      },
      { address: '203.0.113.7', door: 'activesync' },
    );
    await page.click('#nav-devices');
    await page.waitForURL(/\/admin\/devices$/);
    const row = page.locator(`tr[data-key="${device.id}"]`);
    expect(await row.textContent()).toContain('iPhone 15');
    await screenshot(page, 'admin-devices');
    await row.locator('input[name="select"]').check();
    await page.click('#bulk-approve');
    await page.waitForSelector('#devices-result');
    expect(await textOf(page, '#devices-result')).toMatch(/1/);
    expect((await passgate.core.repositories.devices.get(device.id))?.state).toBe('approved');
    const [event] = await passgate.core.audit.recent({ type: 'device.approved', userId: alice.id });
    expect(event).toMatchObject({ details: { door: 'admin', by: 'admin:ada' } });
    await screenshot(page, 'admin-devices-approved');
    expect(errors).toEqual([]);
  });
});
