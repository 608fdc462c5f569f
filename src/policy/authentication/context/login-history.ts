import { createHash } from 'node:crypto';
import type { Clock } from '../../../clock.js';
import type { LoginHistoryRepository } from '../../../store/repositories/login-history.js';
import type { WriteBatch } from '../../../store/write-batch.js';

/** Devices remembered per user by default; the least recently seen beyond it are forgotten. */
export const DEFAULT_MAX_DEVICES = 50;

/** Whether a login's country and device are new for the user. */
export interface Novelty {
  newCountry: boolean;
  newDevice: boolean;
}

/**
 * The countries and devices each user has signed in from, for the "new country" and "new
 * device" conditions of authentication policies. Device ids (long-lived cookie values) are
 * stored only as SHA-256 hashes, so the table cannot be used to impersonate a known device.
 */
export class LoginHistory {
  constructor(
    private readonly repository: LoginHistoryRepository,
    private readonly clock: Clock,
    private readonly maxDevices = DEFAULT_MAX_DEVICES,
  ) {}

  /**
   * Whether this country and device are new for the user; writes nothing. Unknown (null) is
   * never new; everything is new on a user's very first login.
   */
  async seen(userId: string, country: string | null, deviceId: string | null): Promise<Novelty> {
    const [countries, devices] = await Promise.all([
      country ? this.repository.seen(userId, 'country', [normalizeCountry(country)]) : undefined,
      deviceId ? this.repository.seen(userId, 'device', [deviceKey(deviceId)]) : undefined,
    ]);
    return { newCountry: countries?.size === 0, newDevice: devices?.size === 0 };
  }

  /**
   * Remembers the country and device of a successful login (unknown ones are skipped). With a
   * batch, the writes join it (stored when it is committed) and `newDevice` (the login's facts,
   * read before) says whether the device is new, as the write's answer does without one.
   */
  async record(
    userId: string,
    country: string | null,
    deviceId: string | null,
    batched?: { batch: WriteBatch; newDevice: boolean },
  ): Promise<void> {
    const now = this.clock();
    if (batched) {
      const { batch, newDevice } = batched;
      if (country)
        this.repository.touchIn(batch, { userId, kind: 'country', value: normalizeCountry(country), now });
      if (deviceId)
        this.repository.touchIn(
          batch,
          { userId, kind: 'device', value: deviceKey(deviceId), now },
          // Only a device seen for the first time can take the user over the limit.
          newDevice ? this.maxDevices : undefined,
        );
      return;
    }
    if (country) await this.repository.touch(userId, 'country', normalizeCountry(country), now);
    // Only a device seen for the first time can take the user over the limit.
    if (deviceId && (await this.repository.touch(userId, 'device', deviceKey(deviceId), now)))
      await this.repository.trim(userId, 'device', this.maxDevices);
  }
}

function normalizeCountry(country: string): string {
  return country.trim().toUpperCase();
}

/** The stored form of a device id. */
export function deviceKey(deviceId: string): string {
  return createHash('sha256').update(deviceId).digest('base64url');
}
