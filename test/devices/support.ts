import type { DeviceOrigin } from '../../src/devices/approvals.js';
import type { Device } from '../../src/store/repositories/devices.js';
import type { User } from '../../src/store/repositories/users.js';
import { PASSWORD, type PolicyServer } from '../policy/support.js';
import type { Exchange } from '../support/browser.js';
import { SiteBrowser } from '../support/site-browser.js';

/** An upstream nobody answers: the site tests never forward a request, the ActiveSync door only has to be on. */
export const ACTIVESYNC_ON = {
  activesync: { enabled: true, upstream: 'http://127.0.0.1:9/Microsoft-Server-ActiveSync' },
} as const;

/** Where the held devices of the tests came from, as the ActiveSync door saw them. */
const FROM: DeviceOrigin = { address: '203.0.113.7', door: 'activesync' };

/**
 * A device's first request as the ActiveSync door hands it to the engine (the user's password
 * was good): the engine's device approvals hold it, and the device is returned.
 */
export async function heldDevice(
  server: PolicyServer,
  user: User,
  deviceId: string,
  model = 'iPhone 15',
): Promise<Device> {
  const { device } = await server.core.devices.admit(
    {
      user: { id: user.id, name: user.username },
      deviceId,
      deviceType: 'iPhone',
      model,
      userAgent: 'Apple-iPhone16C2/2104.123',
      address: FROM.address ?? null,
      country: 'FR',
      at: server.clock(),
    },
    FROM,
  );
  return device;
}

/** A browser on the Device Provisioning site, signing in through the hosted login as a user does. */
export class DeviceSiteBrowser extends SiteBrowser<PolicyServer> {
  /**
   * Follows a device's link (or the list) and signs in: the password, then a code when the
   * second-factor page shows (`code` computes it). Ends on the page Passgate shows last.
   */
  signIn(username: string, code?: () => string, from = '/devices'): Promise<Exchange> {
    return this.signInFrom(from, username, PASSWORD, code);
  }

  /** The error code of the page's error summary. */
  get errorCode(): string | undefined {
    return /id="error-summary" data-code="([A-Z_]+)"/.exec(this.page.body)?.[1];
  }

  /** The devices the list page shows, as `public id: state`. */
  get listed(): string[] {
    return [...this.page.body.matchAll(/<li data-device="([^"]+)" data-state="(\w+)"/g)].map(
      ([, id, state]) => `${id}: ${state}`,
    );
  }
}
