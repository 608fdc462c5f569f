import type { Kysely, Selectable } from 'kysely';
import type { LoginFlowRow, Tables } from '../tables.js';

/** A sign-in in progress, as stored. */
export type LoginFlowRecord = Selectable<LoginFlowRow>;

/**
 * Sign-ins in progress of every door, shared by every server process; each door reads, completes
 * and prunes only its own (`door`), so a uid of one door is never taken for another's.
 */
export class LoginFlowsRepository {
  constructor(private readonly db: Kysely<Tables>) {}

  /** Stores a new flow. */
  async create(row: LoginFlowRecord): Promise<void> {
    await this.db.insertInto('login_flows').values(row).execute();
  }

  /** The flow `uid` of `door` while it is open: not completed, not expired. */
  async findOpen(door: string, uid: string, now: number): Promise<LoginFlowRecord | undefined> {
    return this.db
      .selectFrom('login_flows')
      .selectAll()
      .where('uid', '=', uid)
      .where('door', '=', door)
      .where('completed_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirst();
  }

  /**
   * Marks the flow completed; false when it already was, has expired or is not `door`'s. One
   * atomic statement: two requests finishing the same flow cannot both win.
   */
  async complete(door: string, uid: string, now: number): Promise<boolean> {
    const result = await this.db
      .updateTable('login_flows')
      .set({ completed_at: now })
      .where('uid', '=', uid)
      .where('door', '=', door)
      .where('completed_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Deletes `door`'s flows that have expired (completed ones included); how many. */
  async prune(door: string, now: number): Promise<number> {
    const result = await this.db
      .deleteFrom('login_flows')
      .where('door', '=', door)
      .where('expires_at', '<=', now)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
