import type { Kysely } from 'kysely';
import type { Tables } from '../tables.js';

/** A pending token's enrolment: the session that started it, and its end. */
export interface PendingEnrolmentRecord {
  tokenId: string;
  sessionId: string;
  expiresAt: number;
}

/**
 * Enrolments of pending tokens, shared by every server process: a pending token's secret is
 * shown to the session that started it only, and only until it expires. Expired enrolments
 * take their unconfirmed token with them when pruned.
 */
export class PendingEnrolmentsRepository {
  constructor(private readonly db: Kysely<Tables>) {}

  /** Records an enrolment; done before the token is created (see {@link prune}). */
  async open(record: PendingEnrolmentRecord): Promise<void> {
    await this.db
      .insertInto('pending_enrolments')
      .values({ token_id: record.tokenId, session_id: record.sessionId, expires_at: record.expiresAt })
      .execute();
  }

  /** The enrolments of these tokens that are still open at `now`. */
  async findOpen(tokenIds: readonly string[], now: number): Promise<PendingEnrolmentRecord[]> {
    if (tokenIds.length === 0) return [];
    const rows = await this.db
      .selectFrom('pending_enrolments')
      .selectAll()
      .where('token_id', 'in', tokenIds)
      .where('expires_at', '>', now)
      .execute();
    return rows.map((r) => ({ tokenId: r.token_id, sessionId: r.session_id, expiresAt: r.expires_at }));
  }

  /** Ends an enrolment (its token was confirmed or removed). */
  async close(tokenId: string): Promise<void> {
    await this.db.deleteFrom('pending_enrolments').where('token_id', '=', tokenId).execute();
  }

  /**
   * Deletes every pending token without an open enrolment (expired, or started before
   * enrolments expired), then the expired enrolments; returns how many tokens went.
   */
  async prune(now: number): Promise<number> {
    const tokens = await this.db
      .deleteFrom('tokens')
      .where('status', '=', 'pending')
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('pending_enrolments')
              .select('pending_enrolments.token_id')
              .whereRef('pending_enrolments.token_id', '=', 'tokens.id')
              .where('pending_enrolments.expires_at', '>', now),
          ),
        ),
      )
      .executeTakeFirst();
    await this.db.deleteFrom('pending_enrolments').where('expires_at', '<=', now).execute();
    return Number(tokens.numDeletedRows);
  }
}
