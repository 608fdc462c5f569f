import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { Clock } from '../../clock.js';
import type { PasscodeRow, Tables } from '../tables.js';

/** A passcode as stored: a keyed hash, never the code. */
export type StoredPasscode = Selectable<PasscodeRow>;

/** A passcode to store: its keyed hash, never the code. */
export interface NewPasscode {
  userId: string;
  challengeId: string | null;
  channel: string;
  codeHash: string;
  destination: string;
  expiresAt: number;
}

/**
 * What may be sent: within one challenge, one passcode per `resendAfterMs`; to one user, at most
 * `maxPerUser` within `windowMs` (rows live at least an hour before {@link PasscodesRepository.prune}).
 */
export interface PasscodeLimits {
  resendAfterMs: number;
  windowMs: number;
  maxPerUser: number;
}

/** The outcome of {@link PasscodesRepository.replace}: stored, or refused by a limit and until when. */
export type PasscodeReservation =
  | { stored: true; id: string }
  | { stored: false; refusal: 'resend'; retryAt: number }
  | { stored: false; refusal: 'limit'; sent: number; retryAt: number };

/** Sent passcodes: single use, short-lived, and replaced by the next one sent. */
export class PasscodesRepository {
  constructor(
    private readonly db: Kysely<Tables>,
    private readonly clock: Clock,
  ) {}

  /**
   * Stores a new passcode when the limits allow it and, in the same transaction, revokes every
   * unused passcode of the user: only the latest one sent can be used. The user's row is locked
   * first (SQLite: the whole database), so the checks and the insert are one step across server
   * processes: of concurrent sends, no more than the limits allow are stored.
   */
  async replace(passcode: NewPasscode, limits: PasscodeLimits): Promise<PasscodeReservation> {
    const now = this.clock();
    const id = randomUUID();
    return this.db.transaction().execute(async (trx) => {
      await trx.selectFrom('users').select('id').where('id', '=', passcode.userId).forUpdate().execute();
      if (passcode.challengeId !== null) {
        const last = await trx
          .selectFrom('passcodes')
          .select('created_at')
          .where('challenge_id', '=', passcode.challengeId)
          .orderBy('created_at', 'desc')
          .limit(1)
          .executeTakeFirst();
        if (last && now < last.created_at + limits.resendAfterMs)
          return { stored: false, refusal: 'resend', retryAt: last.created_at + limits.resendAfterMs };
      }
      const sent = await trx
        .selectFrom('passcodes')
        .select((eb) => [eb.fn.countAll().as('count'), eb.fn.min('created_at').as('oldest')])
        .where('user_id', '=', passcode.userId)
        .where('created_at', '>', now - limits.windowMs)
        .executeTakeFirst();
      const count = Number(sent?.count ?? 0);
      if (count >= limits.maxPerUser) {
        const oldest = sent?.oldest === null || sent?.oldest === undefined ? now : Number(sent.oldest);
        return { stored: false, refusal: 'limit', sent: count, retryAt: oldest + limits.windowMs };
      }
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
      return { stored: true, id };
    });
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
