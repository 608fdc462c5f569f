import type { CompiledQuery, Kysely } from 'kysely';
import { StoreErrors } from './errors.js';
import { executeNow } from './immediate.js';
import { type PreparedQuery, preparedQuery } from './prepared-query.js';
import type { Tables } from './tables.js';

/** Rows one statement inserts at most (well under SQLite's and PostgreSQL's parameter limits). */
const MAX_ROWS = 64;

type Waiting<Row> = { row: Row; done: () => void; failed: (error: unknown) => void };

/**
 * Group commit of an append-only table: rows handed in during the same turn of the event loop
 * (several requests read in one poll, a request's writes before its next await) are inserted
 * by one multi-row statement at the end of that turn, and each caller's promise settles only once
 * its row is stored — a caller that answers after awaiting it has lost nothing if the process
 * then crashes. One commit instead of one per row is what makes it cheaper (SQLite writes the
 * table's and indexes' pages to its log once per commit). A statement refused for anything but
 * an unreachable store is retried row by row, so a bad row fails its own caller only.
 */
export class GroupedInsert<Table extends keyof Tables & string, Row extends object> {
  private waiting: Array<Waiting<Row>> = [];
  private scheduled = false;
  /** The statement for each number of rows, built once (see preparedQuery). */
  private readonly statements = new Map<number, PreparedQuery<string, unknown>>();

  constructor(
    private readonly db: () => Kysely<Tables>,
    private readonly table: Table,
    private readonly columns: readonly (keyof Row & string)[],
  ) {}

  /** Inserts the row with the others of this turn; resolves once it is stored. */
  insert(row: Row): Promise<void> {
    return new Promise<void>((done, failed) => {
      this.waiting.push({ row, done, failed });
      if (this.scheduled) return;
      this.scheduled = true;
      setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    this.scheduled = false;
    const all = this.waiting;
    this.waiting = [];
    for (let from = 0; from < all.length; from += MAX_ROWS) void this.write(all.slice(from, from + MAX_ROWS));
  }

  private async write(batch: Array<Waiting<Row>>): Promise<void> {
    try {
      await this.run(batch.map((w) => w.row));
      for (const w of batch) w.done();
    } catch (error) {
      if (batch.length === 1 || StoreErrors.is(error, 'DB_UNREACHABLE')) {
        for (const w of batch) w.failed(error);
        return;
      }
      await Promise.all(batch.map((w) => this.write([w])));
    }
  }

  /** The statements that insert `rows` (one per MAX_ROWS), without running them (see WriteBatch). */
  queries(rows: readonly Row[]): CompiledQuery[] {
    const queries: CompiledQuery[] = [];
    for (let from = 0; from < rows.length; from += MAX_ROWS) {
      const slice = rows.slice(from, from + MAX_ROWS);
      queries.push(this.statementFor(slice.length).queryOf(this.valuesOf(slice)));
    }
    return queries;
  }

  private run(rows: Row[]): Promise<unknown> {
    return executeNow(this.db(), this.statementFor(rows.length).queryOf(this.valuesOf(rows)));
  }

  private statementFor(count: number): PreparedQuery<string, unknown> {
    let statement = this.statements.get(count);
    if (!statement) {
      statement = this.prepare(count);
      this.statements.set(count, statement);
    }
    return statement;
  }

  /** The rows' values, row by row and column by column: the order of the prepared statement's names. */
  private valuesOf(rows: readonly Row[]): unknown[] {
    const values: unknown[] = [];
    for (const row of rows)
      for (const column of this.columns) values.push((row as Record<string, unknown>)[column]);
    return values;
  }

  private prepare(count: number) {
    const names = Array.from({ length: count }, (_, i) =>
      this.columns.map((column) => `${column}${i}`),
    ).flat();
    return preparedQuery(this.db, names, (markers) => {
      const values = Array.from({ length: count }, (_, i) =>
        Object.fromEntries(this.columns.map((column) => [column, markers[`${column}${i}`]])),
      );
      return this.db()
        .insertInto(this.table)
        .values(values as never);
    });
  }
}
