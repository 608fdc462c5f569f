import type { Kysely, Selectable } from 'kysely';
import { preparedQuery } from '../prepared-query.js';
import type { LoginFlowRow, Tables } from '../tables.js';

/** A sign-in in progress, as stored. */
export type LoginFlowRecord = Selectable<LoginFlowRow>;

/** Every column of a flow, in the order of the prepared insert. */
const COLUMNS = [
  'uid',
  'door',
  'state',
  'secret_hash',
  'created_at',
  'expires_at',
  'completed_at',
] as const satisfies readonly (keyof LoginFlowRecord)[];
/** A column added to the table and left out of COLUMNS fails to compile here, not silently at run time. */
const EVERY_COLUMN: [Exclude<keyof LoginFlowRecord, (typeof COLUMNS)[number]>] extends [never]
  ? true
  : never = true;
void EVERY_COLUMN;

/**
 * Sign-ins in progress of every door, shared by every server process; each door reads, completes
 * and prunes only its own (`door`), so a uid of one door is never taken for another's.
 */
export class LoginFlowsRepository {
  // The statements of every sign-in, built once (see preparedQuery).
  private readonly insertRow;
  private readonly selectOpen;
  private readonly completeOpen;

  constructor(private readonly db: Kysely<Tables>) {
    this.insertRow = preparedQuery(db, COLUMNS, (row) => db.insertInto('login_flows').values(row));
    this.selectOpen = preparedQuery(db, ['door', 'uid', 'now'], ({ door, uid, now }) =>
      db
        .selectFrom('login_flows')
        .selectAll()
        .where('uid', '=', uid)
        .where('door', '=', door)
        .where('completed_at', 'is', null)
        .where('expires_at', '>', now),
    );
    this.completeOpen = preparedQuery(db, ['door', 'uid', 'now'], ({ door, uid, now }) =>
      db
        .updateTable('login_flows')
        .set({ completed_at: now })
        .where('uid', '=', uid)
        .where('door', '=', door)
        .where('completed_at', 'is', null)
        .where('expires_at', '>', now),
    );
  }

  /** Stores a new flow. */
  async create(row: LoginFlowRecord): Promise<void> {
    await this.insertRow(row);
  }

  /** The flow `uid` of `door` while it is open: not completed, not expired. */
  async findOpen(door: string, uid: string, now: number): Promise<LoginFlowRecord | undefined> {
    return (await this.selectOpen({ door, uid, now })).rows[0];
  }

  /**
   * Marks the flow completed; false when it already was, has expired or is not `door`'s. One
   * atomic statement: two requests finishing the same flow cannot both win.
   */
  async complete(door: string, uid: string, now: number): Promise<boolean> {
    const result = await this.completeOpen({ door, uid, now });
    return Number(result.numAffectedRows) === 1;
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
