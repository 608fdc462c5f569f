import type { Kysely } from 'kysely';
import type { Tables } from '../tables.js';

/** One reminder: an account's password expiry and the threshold (days before) it is for. */
export interface ReminderKey {
  directory: string;
  externalId: string;
  expiresAt: number;
  thresholdDays: number;
}

/**
 * Password-expiry reminders already sent. A reminder is claimed (inserted) before it is sent:
 * the primary key lets only one claim of the same reminder succeed, across restarts, workers
 * and servers.
 */
export class PasswordRemindersRepository {
  constructor(private readonly db: Kysely<Tables>) {}

  /** Claims a reminder at `now`; false when it was already claimed (sent, or being sent). */
  async claim(key: ReminderKey, now: number): Promise<boolean> {
    const result = await this.db
      .insertInto('password_reminders')
      .values({
        directory: key.directory,
        external_id: key.externalId,
        expires_at: key.expiresAt,
        threshold_days: key.thresholdDays,
        sent_at: now,
      })
      .onConflict((c) => c.columns(['directory', 'external_id', 'expires_at', 'threshold_days']).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
  }

  /** Whether a reminder was claimed already (the dry run's question). */
  async claimed(key: ReminderKey): Promise<boolean> {
    const row = await this.db
      .selectFrom('password_reminders')
      .select('sent_at')
      .where('directory', '=', key.directory)
      .where('external_id', '=', key.externalId)
      .where('expires_at', '=', key.expiresAt)
      .where('threshold_days', '=', key.thresholdDays)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Deletes reminders of expiries before `before` (their passwords have expired or changed). */
  async prune(before: number): Promise<number> {
    const result = await this.db
      .deleteFrom('password_reminders')
      .where('expires_at', '<', before)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
