import { z } from 'zod';

/** Kind under which Device Policies are stored. */
export const DEVICE_POLICY_KIND = 'device';

/** The name of the Device Policy in force (the only one read). */
export const DEVICE_POLICY_NAME = 'default';

/**
 * A Device Policy: how new ActiveSync devices are admitted. Without one (the default) every new
 * device is held until its owner approves it; `firstDeviceWithinDays` lets the first device of a
 * user through at once while the user is new to Passgate (e.g. during a roll-out).
 */
export const devicePolicySchema = z.strictObject({
  description: z.string().max(200).optional().describe('What the policy is for.'),
  firstDeviceWithinDays: z
    .number()
    .int()
    .min(0)
    .max(365)
    .default(0)
    .describe(
      "Approve a user's first ActiveSync device at once when it first syncs within this many days of the user's enrolment (when Passgate first knew the user: first sign-in, creation or directory synchronisation); 0: never, every device waits for its owner.",
    ),
  groups: z
    .array(z.string().min(1))
    .default([])
    .describe('Only for users in one of these groups; empty: every user.'),
});

/** A validated Device Policy document. */
export type DevicePolicy = z.output<typeof devicePolicySchema>;

/** Whether a Device Policy approves a user's new device at once. */
export function allowsNewDevice(
  policy: DevicePolicy,
  facts: { enrolledAt: number; groups: readonly string[]; devices: number; at: number },
): boolean {
  if (policy.firstDeviceWithinDays === 0 || facts.devices !== 1) return false;
  if (policy.groups.length > 0 && !policy.groups.some((group) => facts.groups.includes(group))) return false;
  return facts.at - facts.enrolledAt <= policy.firstDeviceWithinDays * 86_400_000;
}
