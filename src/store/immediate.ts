import type { CompiledQuery, Kysely, QueryResult } from 'kysely';

/** Runs one compiled statement at once and returns its result (see {@link ImmediateStatements}). */
export type RunNow = <Row>(query: CompiledQuery<Row>) => QueryResult<Row>;

/**
 * SQLite's statements run at once on its one connection, without Kysely's chain of promises per
 * statement (connection mutex, executor, driver: about as much CPU as a small statement itself
 * takes). better-sqlite3 runs every statement synchronously anyway, so a statement, or a whole
 * transaction, run at once is the same as through Kysely — same SQL, same prepared statements,
 * same results and errors (DB_UNREACHABLE), same statements told to the listeners — except that
 * nothing else can run in between. Both refuse (answer `undefined`, having run nothing) when the
 * connection is inside a transaction of Kysely's, which a statement of another operation must not
 * join: the caller then goes through Kysely, whose mutex makes it wait for that transaction's end.
 * PostgreSQL has none (its statements are round trips to the server).
 */
export interface ImmediateStatements {
  /** Runs one statement in its own implicit transaction; `undefined` when it cannot now (see above). */
  run<Row>(query: CompiledQuery<Row>): QueryResult<Row> | undefined;
  /**
   * Runs `work` inside one immediate transaction and commits it, all before it returns; when
   * `work` or the commit throws, rolls back and throws. `undefined`, nothing run, when it cannot
   * now: inside a transaction of Kysely's, or while another process holds SQLite's write lock
   * (Kysely's path waits for it without blocking the event loop).
   */
  transaction<T>(work: (run: RunNow) => T): { value: T } | undefined;
}

/** The immediate statements of each SQLite database's query builder (none for PostgreSQL's or a transaction's). */
const registry = new WeakMap<object, ImmediateStatements>();

/** Declares the immediate statements of `db` (the SQLite store does, when it opens). */
export function registerImmediateStatements<DB>(db: Kysely<DB>, statements: ImmediateStatements): void {
  registry.set(db, statements);
}

/** The immediate statements of `db`: only an SQLite database's own query builder has them. */
export function immediateStatementsOf<DB>(db: Kysely<DB>): ImmediateStatements | undefined {
  return registry.get(db);
}

/**
 * Runs one statement: at once when `db` is SQLite's and its connection is not inside a
 * transaction (see {@link ImmediateStatements}), else through Kysely. The same result and errors
 * either way, as a promise.
 */
export function executeNow<DB, Row>(db: Kysely<DB>, query: CompiledQuery<Row>): Promise<QueryResult<Row>> {
  const immediate = registry.get(db);
  if (immediate) {
    try {
      const result = immediate.run(query);
      if (result) return Promise.resolve(result);
    } catch (error) {
      return Promise.reject(error);
    }
  }
  return db.executeQuery(query);
}
