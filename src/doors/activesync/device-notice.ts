import type { Device } from '../../store/repositories/devices.js';
import type { User } from '../../store/repositories/users.js';
import {
  addressee,
  type NoticeDeps,
  noticeTime,
  notifyUser,
  ownLanguage,
  reachableAt,
} from '../user-message.js';

/** What the notice is sent with. */
export interface DeviceNoticeDeps extends NoticeDeps {
  /** The language used when the user has none of the translated ones. */
  defaultLanguage: string;
  /** Passgate's public URL: the link goes to its Device Provisioning site. */
  publicUrl: string;
}

/** The Device Provisioning site's page where the owner approves or rejects a device. */
export function approvalLink(publicUrl: string, device: Pick<Device, 'id'>): string {
  return `${publicUrl.replace(/\/+$/, '')}/devices/approve/${encodeURIComponent(device.id)}`;
}

/**
 * Tells a user that a new device of theirs is held, with the link to approve or reject it on the
 * Device Provisioning site, in their directory language: by e-mail and by SMS where they have an
 * address and a gateway carries it (the held phone gets no mail, so the SMS is the one it sees).
 * Each message is audited (`device.notice`); one that cannot go out undoes nothing.
 */
export async function sendDeviceHeldNotice(
  deps: DeviceNoticeDeps,
  user: User,
  device: Device,
  context: { address: string },
): Promise<void> {
  const language = ownLanguage(user, deps.languages) ?? deps.defaultLanguage;
  const event = { type: 'device.notice', userId: user.id, username: user.username, address: context.address };
  const details = { device: device.id, deviceId: device.deviceId, deviceType: device.deviceType };
  await notifyUser(deps, {
    event,
    details,
    // Both: the held phone gets no mail, so the SMS is the one it sees.
    destinations: reachableAt(user, deps.dispatcher),
    language,
    text: (key) =>
      deps.translate(language, `deviceHeld.${key}`, {
        ...addressee(user),
        device: device.model ?? device.deviceType,
        time: noticeTime(device.firstSeen.at),
        address: device.firstSeen.address ?? context.address,
        link: approvalLink(deps.publicUrl, device),
      }),
    failureLog: 'device notice not sent',
  });
}
