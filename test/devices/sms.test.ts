import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { startSmsc } from '../dispatch/smsc.js';
import { type PolicyServer, startPolicyServer } from '../policy/support.js';
import { smppGateway, startGatewaySmsc } from '../support/smsc-gateway.js';
import { ACTIVESYNC_ON, DeviceSiteBrowser, heldDevice } from './support.js';

describe('approving a device with a passcode texted through a real SMPP peer', () => {
  let smsc: Awaited<ReturnType<typeof startSmsc>>;
  let server: PolicyServer;
  beforeAll(async () => {
    smsc = await startGatewaySmsc();
    server = await startPolicyServer({
      config: { ...ACTIVESYNC_ON, dispatch: { gateways: [smppGateway(smsc)] } },
    });
  });
  afterAll(async () => {
    await server?.close();
    await smsc?.close();
  });

  /** The passcodes the SMSC received for a number, oldest first. */
  const passcodesTo = (mobile: string) =>
    smsc.state.submits
      .filter((s) => s.destination.replace(/^\+/, '') === mobile.replace(/^\+/, ''))
      .map((s) => /\b(\d{6,8})\b/.exec(s.text)?.[1] ?? '');

  it("approves the held device after the owner's password and the SMS passcode, which the device then passes with", async () => {
    const mobile = '+33612345677';
    const user = await server.addUser('sam', 'correct horse battery', { mobile });
    const device = await heldDevice(server, user, 'SAMSUNG0001', 'Galaxy S24');
    const site = new DeviceSiteBrowser(server);
    await site.signIn('sam', undefined, `/devices/approve/${device.id}`);
    expect(site.page.url).toMatch(/\/mfa$/);
    expect(passcodesTo(mobile)).toHaveLength(1);
    await site.post(site.formAction(), { action: 'verify', code: passcodesTo(mobile)[0]! });

    expect(new URL(site.page.url).pathname).toBe(`/devices/approve/${device.id}`);
    expect(site.page.body).toContain('<dd class="device-model">Galaxy S24</dd>');
    await site.post(`/devices/${device.id}/approve`);
    expect(site.page.body).toContain('data-done="approved"');
    expect(await server.core.repositories.devices.get(device.id)).toMatchObject({
      state: 'approved',
      decided: { by: 'user:sam' },
    });
    // The device's next request, as the ActiveSync door hands it to the engine, passes.
    const next = await server.core.devices.admit(
      {
        user: { id: user.id, name: 'sam' },
        deviceId: 'SAMSUNG0001',
        deviceType: 'SAMSUNG',
        model: 'Galaxy S24',
        userAgent: null,
        address: '203.0.113.7',
        country: 'FR',
        at: server.clock(),
      },
      { address: '203.0.113.7', door: 'activesync' },
    );
    expect(next.verdict).toBe('pass');
  });
});
