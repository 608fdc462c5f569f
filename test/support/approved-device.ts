import type { Core } from '../../src/server/core.js';
import type { User } from '../../src/store/repositories/user.js';

/**
 * Registers an ActiveSync device of a user as approved (by the CLI), for tests about what comes
 * after device approval (a binary DeviceId of the base64-encoded query is its bytes in upper-case hex).
 */
export async function approveDevice(
  core: Core,
  user: User,
  deviceId: string,
  deviceType: string,
): Promise<void> {
  const { device } = await core.repositories.devices.observe({
    user: { id: user.id, name: user.username },
    deviceId,
    deviceType,
    model: null,
    userAgent: null,
    address: null,
    country: null,
    at: Date.now(),
  });
  await core.devices.approve(device.id, { kind: 'cli' }, { door: 'cli' });
}
