import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTIVESYNC_ON, heldDevice } from '../devices/support.js';
import type { PolicyServer } from '../policy/support.js';
import { Browser } from '../support/browser.js';
import { AdminBrowser, startAdminServer } from './support.js';

/** The public ids of the grid's rows, in order. */
const rowsOf = (body: string) => [...body.matchAll(/name="select" value="([^"]+)"/g)].map(([, id]) => id);

describe('the administration site: ActiveSync devices', () => {
  let server: PolicyServer;
  const browsers: Record<string, AdminBrowser> = {};
  beforeAll(async () => {
    server = await startAdminServer({ config: ACTIVESYNC_ON });
    for (const [role, name] of Object.entries({ administrator: 'ada', helpdesk: 'hugo', auditor: 'otto' })) {
      browsers[role] = new AdminBrowser(server);
      await browsers[role].signIn(name);
    }
  }, 120_000);
  afterAll(() => server?.close());

  const state = async (id: string) => (await server.core.repositories.devices.get(id))?.state;

  it('is in the navigation of every role', async () => {
    for (const admin of Object.values(browsers)) {
      await admin.open('/admin');
      expect(admin.page.body).toContain('id="nav-devices"');
    }
  });

  it('lists every device, filtered by user and by state, for every role', async () => {
    const ivy = await server.addTotpUser('ivy');
    const jon = await server.addTotpUser('jon');
    const ivyPhone = await heldDevice(server, ivy, 'IVY0001');
    const jonPhone = await heldDevice(server, jon, 'JON0001');
    await server.core.devices.reject(jonPhone.id, { kind: 'cli' }, { door: 'cli' });
    for (const role of ['administrator', 'helpdesk', 'auditor']) {
      const admin = browsers[role]!;
      await admin.open('/admin/devices');
      expect(admin.page.status).toBe(200);
      expect(rowsOf(admin.page.body)).toEqual(expect.arrayContaining([ivyPhone.id, jonPhone.id]));
      await admin.open('/admin/devices?user=ivy');
      expect(rowsOf(admin.page.body)).toEqual([ivyPhone.id]);
      await admin.open('/admin/devices?state=rejected&user=jon');
      expect(rowsOf(admin.page.body)).toEqual([jonPhone.id]);
      await admin.open('/admin/devices?user=nobody-at-all');
      expect(rowsOf(admin.page.body)).toEqual([]);
    }
    // The user's page shows their devices and links to them.
    const admin = browsers.auditor!;
    await admin.open(`/admin/users/${jon.id}`);
    expect(admin.page.body).toContain('id="devices-table"');
    expect(admin.page.body).toContain('iPhone 15');
    expect(admin.page.body).toContain('href="/admin/devices?user=jon"');
  });

  it('approves, rejects, clears and removes through the engine, audited with the administrator', async () => {
    const kim = await server.addTotpUser('kim');
    const device = await heldDevice(server, kim, 'KIM0001');
    const admin = browsers.helpdesk!;
    await admin.open('/admin/devices?user=kim');
    const post = async (action: string) => {
      await admin.post(`/admin/devices/bulk/${action}`, { select: device.id, back: 'user=kim' });
      expect(admin.page.status).toBe(200);
      expect(new URL(admin.page.url).search).toContain('done=1');
    };
    await post('reject');
    expect(await state(device.id)).toBe('rejected');
    await post('clear');
    expect(await state(device.id)).toBe('pending');
    await post('approve');
    expect(await state(device.id)).toBe('approved');
    const [approved] = await server.core.audit.recent({ type: 'device.approved', userId: kim.id });
    expect(approved).toMatchObject({ details: { door: 'admin', admin: 'hugo', by: 'admin:hugo' } });
    await post('remove');
    expect(await state(device.id)).toBeUndefined();
    const cleared = await server.core.audit.recent({ type: 'device.cleared', userId: kim.id });
    expect(cleared).toHaveLength(1);

    await admin.post('/admin/devices/bulk/approve', { back: 'user=kim' });
    expect(admin.page.body).toContain('id="devices-result"');
    expect(new URL(admin.page.url).search).toContain('refused=none');
  });

  it('refuses the auditor every change, writing nothing', async () => {
    const lea = await server.addTotpUser('lea');
    const device = await heldDevice(server, lea, 'LEA0001');
    const admin = browsers.auditor!;
    await admin.open('/admin/devices');
    for (const action of ['approve', 'reject', 'clear', 'remove']) {
      await admin.post(`/admin/devices/bulk/${action}`, { select: device.id });
      expect(admin.page.status).toBe(403);
      await admin.open('/admin/devices');
    }
    expect(await state(device.id)).toBe('pending');
  });
});

describe('the administration site with the ActiveSync door off', () => {
  let server: PolicyServer;
  let admin: AdminBrowser;
  beforeAll(async () => {
    server = await startAdminServer();
    admin = new AdminBrowser(server);
    await admin.signIn('ada');
  }, 120_000);
  afterAll(() => server?.close());

  it("has no ActiveSync devices: not in the navigation, not on a user's page, and their page answers as absent", async () => {
    // A device left from when the door was on.
    const ivy = await server.addTotpUser('ivy');
    const device = await heldDevice(server, ivy, 'IVY0001');
    await admin.open('/admin');
    expect(admin.page.status).toBe(200);
    expect(admin.page.body).toContain('id="nav-users"');
    expect(admin.page.body).not.toContain('id="nav-devices"');
    expect(admin.page.body).not.toContain('/admin/devices');
    await admin.open(`/admin/users/${ivy.id}`);
    expect(admin.page.status).toBe(200);
    expect(admin.page.body).not.toContain('id="devices-table"');
    expect(admin.page.body).not.toContain('/admin/devices');

    await admin.open('/admin/devices');
    expect(admin.page.status).toBe(404);
    await admin.open('/admin');
    await admin.post('/admin/devices/bulk/approve', { select: device.id });
    expect(admin.page.status).toBe(404);
    expect((await server.core.repositories.devices.get(device.id))?.state).toBe('pending');
  });

  it('has no Device Provisioning site', async () => {
    const answer = await new Browser().fetch(`${server.url}/devices`);
    expect(answer.status).toBe(404);
    expect((await new Browser().fetch(`${server.url}/devices/approve/abc`)).status).toBe(404);
  });
});
