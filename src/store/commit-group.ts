import type { CompiledQuery, Kysely, QueryResult } from 'kysely';
import { StoreErrors } from './errors.js';
import { executeNow, immediateStatementsOf } from './immediate.js';
import type { Tables } from './tables.js';
import { type BatchCommitter, WriteBatch } from './write-batch.js';

/**
 * A write waiting for the end of the turn: one statement whose result its caller needs (with the
 * batch stored only when it changes a row), or a batch.
 */
type Waiting =
  | {
      query: CompiledQuery;
      whenChanged?: WriteBatch;
      done: (result: QueryResult<unknown>) => void;
      failed: (error: unknown) => void;
    }
  | { batch: WriteBatch; done: () => void; failed: (error: unknown) => void };

/** A statement's outcome in the group's transaction, and whether its conditional batch went in with it. */
type Stored = { result: QueryResult<unknown>; withBatch: boolean };

/**
 * Group commit of one database's writes: the statements and operations' write batches handed in
 * during the same turn of the event loop (the requests read in one poll, each run to its next
 * write without leaving it, as SQLite's statements resolve at once) are stored by one
 * transaction at the end of that turn — the single statements first, in order, then the
 * batches (with those of the statements that changed a row, when a statement brings one), with
 * the rows of each append-only table in one insert — and each caller's promise
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

  /**
   * Runs one write statement with the others of this turn; resolves with its result once
   * committed. `whenChanged`, a batch of writes that belong with the statement's effect (the
   * audit record of a code it accepts), is stored in the same transaction when the statement
   * changes a row, and not at all otherwise; once committed it is marked stored
   * ({@link WriteBatch.stored}), so that its caller does not store it again.
   */
  run<Row>(query: CompiledQuery<Row>, whenChanged?: WriteBatch): Promise<QueryResult<Row>> {
    if (whenChanged && (whenChanged.stored || (whenChanged.database && whenChanged.database !== this.db)))
      return Promise.reject(new Error('a conditional batch is a new batch of the same database'));
    return new Promise<QueryResult<Row>>((done, failed) =>
      this.add({
        query,
        ...(whenChanged?.database ? { whenChanged } : {}),
        done: done as (result: QueryResult<unknown>) => void,
        failed,
      }),
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

  /**
   * Stores the writes in one transaction (one statement alone needs none): the statements in
   * order, then the batches' rows together with the conditional batches of the statements that
   * changed a row; the statements' outcomes in order. On SQLite the transaction runs at once when
   * it can (see ImmediateStatements), else through Kysely.
   */
  private async store(group: readonly Waiting[]): Promise<Stored[]> {
    const single = group.flatMap((w) => ('query' in w ? [w] : []));
    const batches = group.flatMap((w) => ('batch' in w ? [w.batch] : []));
    // The batches' rows of each table in one insert: one batch gathers them all.
    const batched = batches.length > 0 ? together(batches).statements() : [];
    if (!single.some((w) => w.whenChanged) && single.length + batched.length <= 1) {
      if (single.length === 1)
        return [{ result: await executeNow(this.db, single[0]!.query), withBatch: false }];
      if (batched.length === 1) await executeNow(this.db, batched[0]!);
      return [];
    }
    const now = immediateStatementsOf(this.db)?.transaction((run) => {
      const statements = groupStatements(single, batches, batched);
      let step = statements.next();
      while (!step.done) step = statements.next(run(step.value));
      return step.value;
    });
    const stored =
      now?.value ??
      (await this.db.transaction().execute(async (trx) => {
        const statements = groupStatements(single, batches, batched);
        let step = statements.next();
        while (!step.done) step = statements.next(await trx.executeQuery(step.value));
        return step.value;
      }));
    single.forEach((w, i) => {
      if (stored[i]!.withBatch) w.whenChanged!.markStored();
    });
    return stored;
  }
}

/**
 * The statements of a group's transaction, each given back its result: the single statements in
 * order, then the batches' rows (`batched`) — with the conditional batches of the statements that
 * changed a row, when any did; returns the statements' outcomes in order.
 */
function* groupStatements(
  single: ReadonlyArray<{ query: CompiledQuery; whenChanged?: WriteBatch }>,
  batches: readonly WriteBatch[],
  batched: readonly CompiledQuery[],
): Generator<CompiledQuery, Stored[], QueryResult<unknown>> {
  const outcomes: Stored[] = [];
  const accepted: WriteBatch[] = [];
  for (const w of single) {
    const result = yield w.query;
    const withBatch = w.whenChanged !== undefined && Number(result.numAffectedRows ?? 0) > 0;
    if (withBatch) accepted.push(w.whenChanged!);
    outcomes.push({ result, withBatch });
  }
  const statements = accepted.length > 0 ? together([...batches, ...accepted]).statements() : batched;
  for (const query of statements) yield query;
  return outcomes;
}

/** Tells each waiting caller its outcome: a statement its result (in the order they were run), a batch done. */
function settle(group: readonly Waiting[], stored: readonly Stored[]): void {
  let next = 0;
  for (const w of group) {
    if ('query' in w) w.done(stored[next++]!.result);
    else w.done();
  }
}

/** One batch of the writes of several (each stays uncommitted: its caller's promise is the group's). */
function together(batches: readonly WriteBatch[]): WriteBatch {
  const all = new WriteBatch();
  for (const batch of batches) all.absorb(batch);
  return all;
}
