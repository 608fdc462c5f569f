import type { Directory } from '../../directory/directory.js';
import type { Throttle } from '../../engine/throttle.js';
import type { User } from '../../store/repositories/users.js';
import {
  addressee,
  type NoticeDeps,
  noticeTime,
  notifyUser,
  ownLanguage,
  reachableAt,
} from '../user-message.js';
import type { RequestDevice } from './request-device.js';

/** What the notice is sent with. */
export interface OldPasswordNoticeDeps extends NoticeDeps {
  /** Its counters mark an incident across processes: one refusal after another of the same device. */
  throttle: Pick<Throttle, 'reserve' | 'clear'>;
  directory: Pick<Directory, 'find'>;
  /** The language used when the user has none of the translated ones. */
  defaultLanguage: string;
}

/**
 * An incident lasts while the device keeps sending a refused password with less than a day
 * between two of its requests (the window starts again at each): the second refusal starts it.
 */
const INCIDENT = { maxFailures: 1, windowSeconds: 86_400, sliding: true };

/** The counter of one device's refused requests (a user name as sent, normalised, and a DeviceId). */
const incidentKey = (username: string, device: RequestDevice) =>
  `activesync:refused:${username}:${device.deviceId}`;

/**
 * Tells a user, once per device and incident, that a device keeps signing in with a refused
 * password (most often the old one, after a change): the phone shows nothing useful, and
 * Passgate refuses it without asking the directory, so only the user can end it by typing the
 * new password on the device. The "once" holds across server processes (a store counter); the
 * device's next accepted password ends the incident.
 */
export class OldPasswordNotice {
  constructor(private readonly deps: OldPasswordNoticeDeps) {}

  /** A request of the device was refused (wrong password, or the lockout shield): the second in a row tells the user. */
  async refused(username: string, device: RequestDevice, address: string): Promise<void> {
    const reservation = await this.deps.throttle.reserve([
      { key: incidentKey(username, device), rule: INCIDENT },
    ]);
    if (reservation.allowed || !reservation.firstRefusals) return;
    const user = await this.deps.directory.find(username).catch(() => undefined);
    if (user) await this.send(user, device, address);
  }

  /** The device's password was accepted: its incident, if any, is over. */
  async accepted(username: string, device: RequestDevice): Promise<void> {
    await this.deps.throttle.clear(incidentKey(username, device));
  }

  private async send(user: User, device: RequestDevice, address: string): Promise<void> {
    const { deps } = this;
    const language = ownLanguage(user, deps.languages) ?? deps.defaultLanguage;
    const event = {
      type: 'activesync.old_password_notice',
      userId: user.id,
      username: user.username,
      address,
    };
    const details = { door: 'activesync', deviceId: device.deviceId, deviceType: device.deviceType };
    await notifyUser(deps, {
      event,
      details,
      destinations: reachableAt(user, deps.dispatcher).slice(0, 1),
      language,
      text: (key) =>
        deps.translate(language, `deviceOldPassword.${key}`, {
          ...addressee(user),
          device: device.deviceType ? `${device.deviceType} (${device.deviceId})` : device.deviceId,
          time: noticeTime(deps.clock()),
          address,
        }),
      failureLog: 'ActiveSync old-password notice not sent',
    });
  }
}
