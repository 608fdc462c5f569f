import type { Kysely } from 'kysely';
import type { Tables } from '../tables.js';

/**
 * Sessions ended before their cookie expires (sign-out), shared by every server process: a
 * stateless session cookie is checked against it on every request.
 */
export class RevokedSessionsRepository {
  constructor(private readonly db: Kysely<Tables>) {}

  /** Revokes a session until `expiresAt` (when its cookie can no longer be valid anyway). */
  async revoke(sessionId: string, expiresAt: number): Promise<void> {
    await this.db
      .insertInto('revoked_sessions')
      .values({ session_id: sessionId, expires_at: expiresAt })
      .onConflict((oc) => oc.column('session_id').doNothing())
      .execute();
  }

  /** Whether the session was revoked. */
  async isRevoked(sessionId: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('revoked_sessions')
      .select('session_id')
      .where('session_id', '=', sessionId)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Forgets revocations of sessions that have expired by now. */
  async prune(now: number): Promise<number> {
    const result = await this.db
      .deleteFrom('revoked_sessions')
      .where('expires_at', '<=', now)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
