import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { PolicyStore } from '../../src/policy/policy-store.js';
import { type PolicyServer, startPolicyServer } from '../policy/support.js';
import { Browser, formField } from '../support/browser.js';
import { ACTIVESYNC_ON, DeviceSiteBrowser, heldDevice } from './support.js';

/** The site's texts of a language, straight from its locale file. */
const texts = (language: string) =>
  JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'locales', language, 'devices.json'), 'utf8')) as {
    title: string;
    device: { title: string; pending: string };
    state: Record<string, string>;
  };

/** HTML-escapes a text as ejs prints it. */
const escaped = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/'/g, '&#39;').replace(/"/g, '&#34;').replace(/</g, '&lt;');

describe('the Device Provisioning site', () => {
  let server: PolicyServer;
  beforeAll(async () => {
    server = await startPolicyServer({ config: { ...ACTIVESYNC_ON } });
    // A rule that lets the password alone through from here: the site asks for a second factor anyway.
    await new PolicyStore(server.core.policies).put('authentication', 'password-here', {
      when: { networks: ['127.0.0.1', '::1'] },
      outcome: { action: 'allow' },
    });
  });
  afterAll(() => server?.close());

  const audited = async (type: string, username: string) =>
    (await server.core.audit.recent({ type, limit: 100 })).filter((e) => e.username === username);

  it("approves a held device from its link, after the owner's password and TOTP code, and audits it", async () => {
    const user = await server.addTotpUser('ada');
    const device = await heldDevice(server, user, 'ApplXYZ0001');
    const site = new DeviceSiteBrowser(server);
    await site.open(`/devices/approve/${device.id}`);
    expect(new URL(site.page.url).pathname).toMatch(/^\/login\/dev-/);
    await site.post(site.formAction(), { username: 'ada', password: 'correct horse battery' });
    // The policy's rule would let the password alone in: the site asks for the second factor anyway.
    expect(site.page.url).toMatch(/\/mfa$/);
    await site.post(site.formAction(), { action: 'verify', code: server.totp() });

    expect(new URL(site.page.url).pathname).toBe(`/devices/approve/${device.id}`);
    expect(site.page.status).toBe(200);
    const body = site.page.body;
    expect(body).toContain('<dd class="device-type">iPhone</dd>');
    expect(body).toContain('<dd class="device-model">iPhone 15</dd>');
    expect(body).toContain('203.0.113.7 · France');
    expect(body).toContain('ApplXYZ0001');
    expect(body).toContain(escaped(texts('en').device.pending));
    expect(body).toContain('id="approve"');
    expect(body).toContain('id="reject"');

    await site.post(`/devices/${device.id}/approve`);
    expect(new URL(site.page.url).pathname).toBe('/devices');
    expect(site.page.body).toContain('data-done="approved"');
    expect(site.listed).toEqual([`${device.id}: approved`]);
    const stored = await server.core.repositories.devices.get(device.id);
    expect(stored).toMatchObject({ state: 'approved', decided: { by: 'user:ada' } });
    const [approved] = await audited('device.approved', 'ada');
    expect(approved).toMatchObject({ outcome: 'success', details: { door: 'devices', device: device.id } });
  });

  it('refuses a user without a second factor at the login page, whatever the rule says, and starts no session', async () => {
    const user = await server.addUser('ines', 'correct horse battery');
    const device = await heldDevice(server, user, 'ApplINES001');
    const site = new DeviceSiteBrowser(server);
    await site.signIn('ines', undefined, `/devices/approve/${device.id}`);
    expect(site.page.status).toBe(403);
    expect(site.page.body).toContain(
      'You have no second factor that can be used here. Contact your administrator.',
    );
    await site.open('/devices');
    expect(new URL(site.page.url).pathname).toMatch(/^\/login\/dev-/);
    expect((await server.core.repositories.devices.get(device.id))?.state).toBe('pending');
  });

  it('rejects a device; the owner cannot approve it again, only an administrator can clear it', async () => {
    const user = await server.addTotpUser('bea');
    const device = await heldDevice(server, user, 'ApplXYZ0002');
    const site = new DeviceSiteBrowser(server);
    await site.signIn('bea', () => server.totp(), `/devices/approve/${device.id}`);
    await site.post(`/devices/${device.id}/reject`);
    expect(site.page.body).toContain('data-done="rejected"');
    expect((await server.core.repositories.devices.get(device.id))?.state).toBe('rejected');
    expect(await audited('device.rejected', 'bea')).toHaveLength(1);

    await site.open(`/devices/approve/${device.id}`);
    expect(site.page.body).toContain('data-state="rejected"');
    expect(site.page.body).not.toContain('id="approve"');
    await site.open('/devices'); // a page with a form, for its CSRF token
    expect(site.listed).toEqual([`${device.id}: rejected`]);
    expect(site.page.body).not.toContain(`/devices/${device.id}/remove`);
    await site.post(`/devices/${device.id}/approve`);
    expect(site.page.status).toBe(409);
    expect(site.errorCode).toBe('DEVICE_DECIDED');
    await site.post(`/devices/${device.id}/remove`);
    expect(site.page.status).toBe(409);
    expect((await server.core.repositories.devices.get(device.id))?.state).toBe('rejected');
  });

  it('lists the own devices only, and removes one: its next request asks again', async () => {
    const user = await server.addTotpUser('carl');
    const other = await server.addTotpUser('cleo');
    const phone = await heldDevice(server, user, 'ApplCARL001');
    const tablet = await heldDevice(server, user, 'ApplCARL002', 'iPad Air');
    const foreign = await heldDevice(server, other, 'ApplCLEO001');
    const site = new DeviceSiteBrowser(server);
    await site.signIn('carl', () => server.totp());
    expect(site.listed.sort()).toEqual([`${phone.id}: pending`, `${tablet.id}: pending`].sort());
    expect(site.page.body).not.toContain(foreign.id);

    await site.post(`/devices/${phone.id}/approve`);
    await site.post(`/devices/${phone.id}/remove`);
    expect(site.page.body).toContain('data-done="removed"');
    expect(site.listed).toEqual([`${tablet.id}: pending`]);
    expect(await server.core.repositories.devices.get(phone.id)).toBeUndefined();
    expect(await audited('device.removed', 'carl')).toHaveLength(1);
    const again = await heldDevice(server, user, 'ApplCARL001');
    expect(again.id).not.toBe(phone.id);
    expect(again.state).toBe('pending');
  });

  it("refuses someone else's device like one that does not exist, without telling whose it is", async () => {
    const owner = await server.addTotpUser('dora', { displayName: 'Dora Owner' });
    const device = await heldDevice(server, owner, 'ApplDORA001');
    const site = new DeviceSiteBrowser(server);
    await server.addTotpUser('ezra');
    await site.signIn('ezra', () => server.totp(), `/devices/approve/${device.id}`);
    expect(site.page.status).toBe(404);
    expect(site.errorCode).toBe('DEVICE_NOT_FOUND');
    const foreign = site.page.body;
    expect(foreign).not.toMatch(/dora|ApplDORA001/i);
    await site.open('/devices/approve/NoSuchDevice0000');
    expect(site.page.status).toBe(404);
    // The same page for a device that does not exist: nothing tells the two apart.
    // (The CSRF token and the language links, which repeat the address typed, differ.)
    const strip = (html: string) => html.replace(/(value|href)="[^"]*"/g, '');
    expect(strip(site.page.body)).toBe(strip(foreign));

    for (const action of ['approve', 'reject', 'remove']) {
      await site.post(`/devices/${device.id}/${action}`);
      expect(site.page.status).toBe(404);
    }
    expect((await server.core.repositories.devices.get(device.id))?.state).toBe('pending');
  });

  it('refuses a form without a CSRF token or with the token of another session, and a post without a session', async () => {
    const user = await server.addTotpUser('finn');
    const device = await heldDevice(server, user, 'ApplFINN001');
    const finn = new DeviceSiteBrowser(server);
    await finn.signIn('finn', () => server.totp());
    await server.addTotpUser('gus');
    const gus = new DeviceSiteBrowser(server);
    await gus.signIn('gus', () => server.totp());

    const bare = await finn.browser.fetch(`${server.url}/devices/${device.id}/approve`, {
      form: { _csrf: '' },
    });
    expect(bare.status).toBe(403);
    const crossed = await finn.browser.fetch(`${server.url}/devices/${device.id}/approve`, {
      form: { _csrf: formField(gus.page.body, '_csrf')! },
    });
    expect(crossed.status).toBe(403);
    const stranger = await new Browser().fetch(`${server.url}/devices/${device.id}/approve`, {
      form: { _csrf: formField(finn.page.body, '_csrf')! },
    });
    expect([401, 403]).toContain(stranger.status);
    expect((await server.core.repositories.devices.get(device.id))?.state).toBe('pending');
    expect(bare.body).not.toMatch(/at .*\.(ts|js):\d+/);
  });

  it('keeps its session to /devices, sends the security headers, and signs out for every copy of the cookie', async () => {
    await server.addTotpUser('hana');
    const site = new DeviceSiteBrowser(server);
    await site.signIn('hana', () => server.totp());
    expect(site.page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(site.page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(site.page.body).not.toMatch(/<script/);
    const cookies = await site.browser.jar.getCookies(`${server.url}/devices`);
    const session = cookies.find((c) => c.key === 'passgate.devices')!;
    expect(session).toMatchObject({ path: '/devices', httpOnly: true });
    const copy = new Browser({ cookie: `passgate.devices=${session.value}` });

    await site.post('/devices/signout');
    expect(new URL(site.page.url).pathname).toBe('/devices/signed-out');
    const replayed = await copy.fetch(`${server.url}/devices`);
    expect(replayed.status).toBe(303);
    expect(replayed.headers.get('location')).toMatch(/^\/login\/dev-/);
  });

  it.each([
    'cs',
    'da',
    'de',
    'en',
    'es',
    'fi',
    'fr',
    'hu',
    'it',
    'ko',
    'nb',
    'nl',
    'pl',
    'ro',
    'ru',
    'sv',
    'tr',
  ])('shows the list and a device in %s', async (language) => {
    const user = await server.addTotpUser(`lang-${language}`);
    const device = await heldDevice(server, user, `Appl-${language}`);
    const site = new DeviceSiteBrowser(server);
    await site.signIn(`lang-${language}`, () => server.totp());
    const own = texts(language);
    await site.open(`/devices?lang=${language}`);
    expect(site.page.body).toContain(`<html lang="${language}">`);
    expect(site.page.body).toContain(`<h1>${escaped(own.title)}</h1>`);
    expect(site.page.body).toContain(escaped(own.state.pending!));
    await site.open(`/devices/approve/${device.id}`);
    expect(site.page.body).toContain(`<h1>${escaped(own.device.title)}</h1>`);
    expect(site.page.body).toContain(escaped(own.device.pending));
    // No key shown instead of its text.
    expect(site.page.body).not.toMatch(/devices:|\b(fields|state|actions|device)\.\w+/);
  });
});
