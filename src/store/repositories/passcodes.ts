import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { Clock } from '../../clock.js';
import type { PasscodeRow, Tables } from '../tables.js';

/** A passcode as stored: a keyed hash, never the code. */
export type StoredPasscode = Selectable<PasscodeRow>;

/** Sent passcodes: single use, short-lived, and replaced by the next one sent. */
export class PasscodesRepository {
  constructor(
    private readonly db: Kysely<Tables>,
    private readonly clock: Clock,
  ) {}

  /**
   * Stores a new passcode and, in the same transaction, revokes every unused passcode of the
   * user: only the latest one sent can be used.
   */
  async replace(passcode: {
    userId: string;
    challengeId: string | null;
    channel: string;
    codeHash: string;
    destination: string;
    expiresAt: number;
  }): Promise<string> {
    const now = this.clock();
    const id = randomUUID();
    await this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('passcodes')
        .set({ revoked_at: now })
        .where('user_id', '=', passcode.userId)
        .where('used_at', 'is', null)
        .where('revoked_at', 'is', null)
        .execute();
      await trx
        .insertInto('passcodes')
        .values({
          id,
          user_id: passcode.userId,
          challenge_id: passcode.challengeId,
          channel: passcode.channel,
          code_hash: passcode.codeHash,
          destination: passcode.destination,
          created_at: now,
          expires_at: passcode.expiresAt,
          used_at: null,
          revoked_at: null,
        })
        .execute();
    });
    return id;
  }

  /** Takes back a passcode that could not be delivered. */
  async revoke(id: string): Promise<void> {
    await this.db.updateTable('passcodes').set({ revoked_at: this.clock() }).where('id', '=', id).execute();
  }

  /** The user's passcodes that may still be used, newest first. */
  async usable(userId: string, channel: string, challengeId?: string): Promise<StoredPasscode[]> {
    let query = this.db
      .selectFrom('passcodes')
      .selectAll()
      .where('user_id', '=', userId)
      .where('channel', '=', channel)
      .where('used_at', 'is', null)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', this.clock())
      .orderBy('created_at', 'desc');
    if (challengeId) query = query.where('challenge_id', '=', challengeId);
    return query.execute();
  }

  /** The passcode last sent for a challenge, while it may still be used. */
  async latestFor(challengeId: string): Promise<StoredPasscode | undefined> {
    return this.db
      .selectFrom('passcodes')
      .selectAll()
      .where('challenge_id', '=', challengeId)
      .where('used_at', 'is', null)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', this.clock())
      .orderBy('created_at', 'desc')
      .limit(1)
      .executeTakeFirst();
  }

  /**
   * When a passcode was last sent for a challenge (the resend cool-down applies within one
   * challenge: a new sign-in is not held back by the passcode of the previous one).
   */
  async lastSentFor(challengeId: string): Promise<number | undefined> {
    const row = await this.db
      .selectFrom('passcodes')
      .select('created_at')
      .where('challenge_id', '=', challengeId)
      .orderBy('created_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row?.created_at;
  }

  /**
   * The passcodes sent to a user after `since`, of every challenge and channel, and the time of
   * the oldest of them (for the per-user limit; rows live at least an hour before {@link prune}).
   */
  async sentSince(userId: string, since: number): Promise<{ count: number; oldest: number | null }> {
    const row = await this.db
      .selectFrom('passcodes')
      .select((eb) => [eb.fn.countAll().as('count'), eb.fn.min('created_at').as('oldest')])
      .where('user_id', '=', userId)
      .where('created_at', '>', since)
      .executeTakeFirst();
    return {
      count: Number(row?.count ?? 0),
      oldest: row?.oldest === null || row?.oldest === undefined ? null : Number(row.oldest),
    };
  }

  /** Marks a passcode used; true for exactly one caller, and only while it is valid. */
  async consume(id: string): Promise<boolean> {
    const now = this.clock();
    const result = await this.db
      .updateTable('passcodes')
      .set({ used_at: now })
      .where('id', '=', id)
      .where('used_at', 'is', null)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  /** Deletes passcodes that expired before `before`. */
  async prune(before: number): Promise<void> {
    await this.db.deleteFrom('passcodes').where('expires_at', '<', before).execute();
  }
}
