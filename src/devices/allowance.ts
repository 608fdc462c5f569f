import {
  allowsNewDevice,
  DEVICE_POLICY_KIND,
  DEVICE_POLICY_NAME,
  devicePolicySchema,
} from '../policy/device-policy.js';
import type { DeviceSighting, DevicesRepository } from '../store/repositories/devices.js';
import type { PoliciesRepository } from '../store/repositories/policies.js';
import type { UsersRepository } from '../store/repositories/users.js';
import type { DeviceAllowance } from './approvals.js';

/**
 * The allowance of the stored Device Policy `default` (src/policy/device-policy.ts): read at each
 * new device (new devices are rare), so a change in the admin site or the CLI applies at once.
 * No policy stored: no allowance.
 */
export function devicePolicyAllowance(
  policies: Pick<PoliciesRepository, 'get'>,
  users: Pick<UsersRepository, 'findById'>,
): DeviceAllowance {
  return {
    async allows(
      sighting: DeviceSighting,
      devices: Pick<DevicesRepository, 'countOfUser'>,
    ): Promise<boolean> {
      const stored = await policies.get(DEVICE_POLICY_KIND, DEVICE_POLICY_NAME);
      if (!stored) return false;
      const policy = devicePolicySchema.parse(stored.document);
      if (policy.firstDeviceWithinDays === 0) return false;
      const user = await users.findById(sighting.user.id);
      if (!user) return false;
      return allowsNewDevice(policy, {
        enrolledAt: user.createdAt,
        groups: user.groups,
        devices: await devices.countOfUser(sighting.user.id),
        at: sighting.at,
      });
    },
  };
}
