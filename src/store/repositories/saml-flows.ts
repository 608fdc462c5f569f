import type { Kysely, Selectable } from 'kysely';
import type { SamlFlowRow, Tables } from '../tables.js';

/** A SAML sign-in in progress, as stored. */
export type SamlFlowRecord = Selectable<SamlFlowRow>;

/** SAML sign-ins in progress, shared by every server process. */
export class SamlFlowsRepository {
  constructor(private readonly db: Kysely<Tables>) {}

  /** Stores a new flow. */
  async create(row: SamlFlowRecord): Promise<void> {
    await this.db.insertInto('saml_flows').values(row).execute();
  }

  /** The flow `uid` while it is open: not completed, not expired. */
  async findOpen(uid: string, now: number): Promise<SamlFlowRecord | undefined> {
    return this.db
      .selectFrom('saml_flows')
      .selectAll()
      .where('uid', '=', uid)
      .where('completed_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirst();
  }

  /**
   * Marks the flow completed; false when it already was, or has expired. One atomic statement:
   * two requests finishing the same flow cannot both win.
   */
  async complete(uid: string, now: number): Promise<boolean> {
    const result = await this.db
      .updateTable('saml_flows')
      .set({ completed_at: now })
      .where('uid', '=', uid)
      .where('completed_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Deletes flows that have expired (completed ones included). */
  async prune(now: number): Promise<number> {
    const result = await this.db.deleteFrom('saml_flows').where('expires_at', '<=', now).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
