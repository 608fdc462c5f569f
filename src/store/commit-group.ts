import type { CompiledQuery, Kysely, QueryResult } from 'kysely';
import { StoreErrors } from './errors.js';
import type { Tables } from './tables.js';
import { type BatchCommitter, WriteBatch } from './write-batch.js';

/** A write waiting for the end of the turn: one statement whose result its caller needs, or a batch. */
type Waiting =
  | { query: CompiledQuery; done: (result: QueryResult<unknown>) => void; failed: (error: unknown) => void }
  | { batch: WriteBatch; done: () => void; failed: (error: unknown) => void };

/**
 * Group commit of one database's writes: the statements and operations' write batches handed in
 * during the same turn of the event loop (the requests read in one poll, each run to its next
 * write without leaving it, as SQLite's statements resolve at once) are stored by one
 * transaction at the end of that turn — the single statements first, in order, then the
 * batches, with the rows of each append-only table in one insert — and each caller's promise
 * settles only once that transaction has committed: a caller that answers after awaiting it has
 * lost nothing if the process then crashes, exactly as with a transaction of its own, and a
 * statement's result (the rows a conditional update changed: a code spent once only) is the one
 * it had in the committed transaction. One commit, and one take of SQLite's write lock, instead of
 * one per write is what makes it cheaper: with several processes on one SQLite file, a writer
 * that finds the lock taken sleeps a millisecond or more with its event loop blocked. A
 * transaction refused for anything but an unreachable store is retried write by write, so a bad
 * write fails its own caller only.
 */
export class CommitGroup implements BatchCommitter {
  private waiting: Waiting[] = [];
  private scheduled = false;

  constructor(private readonly db: Kysely<Tables>) {}

  /** Runs one write statement with the others of this turn; resolves with its result once committed. */
  run<Row>(query: CompiledQuery<Row>): Promise<QueryResult<Row>> {
    return new Promise<QueryResult<Row>>((done, failed) =>
      this.add({ query, done: done as (result: QueryResult<unknown>) => void, failed }),
    );
  }

  /** Stores the batch with the others of this turn; resolves once it is committed. */
  commit(batch: WriteBatch): Promise<void> {
    if (batch.database && batch.database !== this.db)
      return Promise.reject(new Error('a commit group writes to one database'));
    return new Promise<void>((done, failed) => this.add({ batch, done, failed }));
  }

  private add(waiting: Waiting): void {
    this.waiting.push(waiting);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => void this.flush());
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    const group = this.waiting;
    this.waiting = [];
    try {
      settle(group, await this.store(group));
    } catch (error) {
      if (group.length === 1 || StoreErrors.is(error, 'DB_UNREACHABLE')) {
        for (const w of group) w.failed(error);
        return;
      }
      await Promise.all(group.map((w) => this.store([w]).then((results) => settle([w], results), w.failed)));
    }
  }

  /** Stores the writes in one transaction (one statement alone needs none); the statements' results in order. */
  private async store(group: readonly Waiting[]): Promise<Array<QueryResult<unknown>>> {
    const single = group.flatMap((w) => ('query' in w ? [w.query] : []));
    // The batches' rows of each table in one insert: one batch gathers them all.
    const batches = group.flatMap((w) => ('batch' in w ? [w.batch] : []));
    const queries = batches.length > 0 ? [...single, ...together(batches).statements()] : single;
    if (queries.length === 0) return [];
    if (queries.length === 1) return [await this.db.executeQuery(queries[0]!)];
    return this.db.transaction().execute(async (trx) => {
      const results: Array<QueryResult<unknown>> = [];
      for (const query of queries) results.push(await trx.executeQuery(query));
      return results;
    });
  }
}

/** Tells each waiting caller its outcome: a statement its result (in the order they were run), a batch done. */
function settle(group: readonly Waiting[], results: ReadonlyArray<QueryResult<unknown>>): void {
  let next = 0;
  for (const w of group) {
    if ('query' in w) w.done(results[next++]!);
    else w.done();
  }
}

/** One batch of the writes of several (each stays uncommitted: its caller's promise is the group's). */
function together(batches: readonly WriteBatch[]): WriteBatch {
  const all = new WriteBatch();
  for (const batch of batches) all.absorb(batch);
  return all;
}
