import type { CompiledQuery, Kysely } from 'kysely';
import type { Tables } from './tables.js';

/** What builds the statements inserting rows of an append-only table (a GroupedInsert). */
export interface RowInserts<Row> {
  queries(rows: readonly Row[]): CompiledQuery[];
}

/** What commits a batch with others (a CommitGroup). */
export interface BatchCommitter {
  commit(batch: WriteBatch): Promise<void>;
}

/** Rows for one append-only table, inserted by one statement when the batch is committed. */
type BatchedRows = { insert: RowInserts<object>; rows: object[] };

/**
 * The writes of one operation (a sign-in's history, audit events and session), gathered and then
 * committed together in one transaction: one commit instead of one per statement (a commit is
 * what an SQLite or PostgreSQL write costs most), and the rows of each append-only table (the
 * audit log) in one statement. Nothing is stored before `commit` resolves, and either every
 * write is stored or none: an operation commits before it answers. Only writes whose results
 * the operation does not need are batched; its reads still go to the store when it makes them.
 */
export class WriteBatch {
  private db: Kysely<Tables> | undefined;
  private readonly queries: CompiledQuery[] = [];
  private readonly tables = new Map<RowInserts<object>, BatchedRows>();
  private committed: Promise<void> | undefined;
  private readonly failureHandlers: Array<(error: unknown) => void> = [];

  /** Adds a statement (of the repository whose database is `db`). */
  add(db: Kysely<Tables>, query: CompiledQuery): void {
    this.use(db);
    this.queries.push(query);
  }

  /** Adds a row of an append-only table: the rows of each table go in by one statement. */
  addRow<Row extends object>(db: Kysely<Tables>, insert: RowInserts<Row>, row: Row): void {
    this.use(db);
    const key = insert as RowInserts<object>;
    const batched = this.tables.get(key) ?? { insert: key, rows: [] };
    batched.rows.push(row);
    this.tables.set(key, batched);
  }

  /**
   * Runs `handler` with the error when the commit fails, before the failure reaches the caller:
   * a write that must not be lost with the operation (a throttle settlement) keeps itself for a
   * later retry.
   */
  onFailure(handler: (error: unknown) => void): void {
    if (this.committed) throw new Error('a write batch takes no write after its commit');
    this.failureHandlers.push(handler);
  }

  /**
   * Stores every write added, in one transaction (one statement alone needs none); with a
   * group, in the transaction of every batch committed to it in the same turn of the event loop.
   * Committed once: a later call answers as the first did (so an operation's error path may
   * commit what its success path may already have).
   */
  commit(group?: BatchCommitter): Promise<void> {
    this.committed ??= (group && this.db ? group.commit(this) : this.store()).catch((error: unknown) => {
      for (const handler of this.failureHandlers) handler(error);
      throw error;
    });
    return this.committed;
  }

  /**
   * Whether the batch is committed or being committed: by {@link commit}, or in the transaction
   * of a statement it was conditional on (see CommitGroup.run), which marks it stored.
   */
  get stored(): boolean {
    return this.committed !== undefined;
  }

  /** Marks the batch committed by a transaction that ran its statements (CommitGroup.run's conditional batch). */
  markStored(): void {
    this.committed ??= Promise.resolve();
  }

  /** Adds every write of another batch not committed (a CommitGroup gathering several operations). */
  absorb(other: WriteBatch): void {
    if (!other.db) return;
    this.use(other.db);
    this.queries.push(...other.queries);
    for (const { insert, rows } of other.tables.values())
      for (const row of rows) this.addRow(other.db, insert, row);
  }

  /** The database written to (none while the batch is empty). */
  get database(): Kysely<Tables> | undefined {
    return this.db;
  }

  /** Every statement the batch runs when committed: the statements added, then one insert per table's rows. */
  statements(): CompiledQuery[] {
    const queries = [...this.queries];
    for (const { insert, rows } of this.tables.values()) queries.push(...insert.queries(rows));
    return queries;
  }

  private async store(): Promise<void> {
    const db = this.db;
    if (!db) return;
    const queries = this.statements();
    if (queries.length === 1) {
      await db.executeQuery(queries[0]!);
      return;
    }
    await db.transaction().execute(async (trx) => {
      for (const query of queries) await trx.executeQuery(query);
    });
  }

  private use(db: Kysely<Tables>): void {
    if (this.committed) throw new Error('a write batch takes no write after its commit');
    if (this.db && this.db !== db) throw new Error('a write batch writes to one database');
    this.db = db;
  }
}
