import { type Kysely, sql } from 'kysely';
import type { CommitGroup } from '../commit-group.js';
import { preparedQuery } from '../prepared-query.js';
import type { Tables } from '../tables.js';
import type { WriteBatch } from '../write-batch.js';

/** The replay guard of SAML AuthnRequests, shared by every server process. */
export class SamlRequestIdsRepository {
  /** The statement of every AuthnRequest, built once (see preparedQuery). */
  private readonly claimRow;

  constructor(
    private readonly db: Kysely<Tables>,
    /** Commits a claim with the writes of its answer and the others of its turn (see CommitGroup). */
    private readonly commits: CommitGroup,
  ) {
    // The row is inserted, or an expired one taken over: one row changed when the claim wins.
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
          ),
    );
  }

  /**
   * Records that `sp`'s request `requestId` is being answered; false when it already was and has
   * not expired. One atomic statement: two processes given the same request cannot both win.
   */
  async claim(sp: string, requestId: string, expiresAt: number, now: number): Promise<boolean> {
    const result = await this.claimRow({ sp, requestId, expiresAt, now });
    return Number(result.numAffectedRows ?? 0) > 0;
  }

  /**
   * {@link claim} in the transaction that stores `batch`, the answer's writes: one commit for
   * both, and the batch is stored only when the claim wins (false, and nothing stored, when not).
   */
  async claimWith(
    batch: WriteBatch,
    sp: string,
    requestId: string,
    expiresAt: number,
    now: number,
  ): Promise<boolean> {
    const result = await this.commits.run(this.claimRow.query({ sp, requestId, expiresAt, now }), batch);
    return Number(result.numAffectedRows ?? 0) > 0;
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
