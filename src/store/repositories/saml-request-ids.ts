import { type Kysely, sql } from 'kysely';
import { preparedQuery } from '../prepared-query.js';
import type { Tables } from '../tables.js';

/** The replay guard of SAML AuthnRequests, shared by every server process. */
export class SamlRequestIdsRepository {
  /** The statement of every AuthnRequest, built once (see preparedQuery). */
  private readonly claimRow;

  constructor(private readonly db: Kysely<Tables>) {
    this.claimRow = preparedQuery(
      db,
      ['sp', 'requestId', 'expiresAt', 'now'],
      ({ sp, requestId, expiresAt, now }) =>
        db
          .insertInto('saml_request_ids')
          .values({ sp, request_id: requestId, expires_at: expiresAt })
          .onConflict((oc) =>
            oc
              .columns(['sp', 'request_id'])
              .doUpdateSet({ expires_at: expiresAt })
              .where(sql<boolean>`saml_request_ids.expires_at <= ${now}`),
          )
          .returning('request_id'),
    );
  }

  /**
   * Records that `sp`'s request `requestId` is being answered; false when it already was and has
   * not expired. One atomic statement: two processes given the same request cannot both win.
   */
  async claim(sp: string, requestId: string, expiresAt: number, now: number): Promise<boolean> {
    const result = await this.claimRow({ sp, requestId, expiresAt, now });
    return result.rows.length > 0;
  }

  /** Deletes entries that have expired. */
  async prune(now: number): Promise<number> {
    const result = await this.db
      .deleteFrom('saml_request_ids')
      .where('expires_at', '<=', now)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
