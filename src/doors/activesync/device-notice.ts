import type { Clock } from '../../clock.js';
import type { Dispatcher } from '../../dispatch/dispatcher.js';
import type { Logger } from '../../observability/logger.js';
import type { AuditRepository } from '../../store/repositories/audit.js';
import type { Device } from '../../store/repositories/devices.js';
import type { User } from '../../store/repositories/users.js';
import { ownLanguage, sendUserMessage } from '../user-message.js';

/** Looks up a text of the `messages` namespace in a language. */
export type MessageTranslate = (language: string, key: string, values?: Record<string, unknown>) => string;

/** What the notice is sent with. */
export interface DeviceNoticeDeps {
  dispatcher: Pick<Dispatcher, 'send' | 'supports'>;
  translate: MessageTranslate;
  /** The languages there are translations for, and the one used when the user has none of them. */
  languages: readonly string[];
  defaultLanguage: string;
  audit: AuditRepository;
  logger: Pick<Logger, 'warn'>;
  clock: Clock;
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
  const targets = [
    ...(user.email && deps.dispatcher.supports('email')
      ? [{ channel: 'email' as const, to: user.email }]
      : []),
    ...(user.mobile && deps.dispatcher.supports('sms') ? [{ channel: 'sms' as const, to: user.mobile }] : []),
  ];
  if (targets.length === 0) {
    await deps.audit.record({ ...event, outcome: 'failure', reason: 'NO_DESTINATION', details });
    return;
  }
  const text = (key: string) =>
    deps.translate(language, `deviceHeld.${key}`, {
      name: user.displayName ?? user.username,
      account: user.username,
      device: device.model ?? device.deviceType,
      time: `${new Date(device.firstSeen.at).toISOString().replace('T', ' ').slice(0, 16)} UTC`,
      address: device.firstSeen.address ?? context.address,
      link: approvalLink(deps.publicUrl, device),
    });
  for (const target of targets)
    await sendUserMessage(deps, {
      event,
      details,
      ...target,
      language,
      text,
      failureLog: 'device notice not sent',
    });
}
