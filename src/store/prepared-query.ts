import { type Compilable, CompiledQuery, type Kysely, type QueryResult } from 'kysely';
import { executeNow } from './immediate.js';

/** Stands for an argument while a prepared query is built; never a value a caller passes. */
const marker = (name: string) => `\u0000passgate-argument:${name}\u0000`;

/**
 * The compiled statement and where each of its parameters comes from: `positions[i]` is the
 * index in `names` of the argument of parameter i, or -1 for a value fixed when it was built
 * (then in `fixed[i]`).
 */
interface Compiled<Row> {
  query: CompiledQuery<Row>;
  positions: Int32Array;
  fixed: unknown[];
}

/**
 * A query of the hot paths, built and compiled by Kysely once instead of on every call (building
 * and compiling costs more CPU than SQLite takes to run most of them). `build` receives a marker
 * for each named argument and must use each only as a value (a parameter of the compiled
 * statement), never to decide the query's shape: the statement is the same for every call, only
 * the parameters change. On SQLite it runs at once when it can (see executeNow). `database` may
 * be given as a function (a repository's field initializer cannot read the constructor's
 * parameters yet); it is called on the first run.
 */
export function preparedQuery<DB, Name extends string, Row>(
  database: Kysely<DB> | (() => Kysely<DB>),
  names: readonly Name[],
  build: (args: Record<Name, never>) => Compilable<Row>,
): PreparedQuery<Name, Row> {
  let compiled: Compiled<Row> | undefined;
  const compile = (): Compiled<Row> => {
    const markers = Object.fromEntries(names.map((name) => [name, marker(name)])) as Record<Name, never>;
    const byMarker = new Map<unknown, number>(names.map((name, i) => [marker(name), i]));
    const query = build(markers).compile();
    const positions = Int32Array.from(query.parameters, (value) => byMarker.get(value) ?? -1);
    const fixed = query.parameters.map((value, i) => (positions[i]! < 0 ? value : undefined));
    const unused = names.filter((_, i) => !positions.includes(i));
    if (unused.length > 0) throw new Error(`prepared query never uses ${unused.join(', ')}: ${query.sql}`);
    return { query, positions, fixed };
  };
  const db = () => (typeof database === 'function' ? database() : database);
  /** The statement with its parameters, each taken from `argument(index in names)` or fixed. */
  const bind = (argument: (index: number) => unknown) => {
    compiled ??= compile();
    const { positions, fixed } = compiled;
    const parameters = new Array<unknown>(positions.length);
    for (let i = 0; i < positions.length; i++) {
      const at = positions[i]!;
      parameters[i] = at < 0 ? fixed[i] : argument(at);
    }
    return CompiledQuery.raw(compiled.query.sql, parameters) as CompiledQuery<Row>;
  };
  const query = (args: Record<Name, unknown>) => bind((at) => args[names[at]!]);
  const queryOf = (values: readonly unknown[]) => bind((at) => values[at]);
  return Object.assign((args: Record<Name, unknown>) => executeNow(db(), query(args)), { query, queryOf });
}

/**
 * A prepared query: called, it runs with the arguments; `query` gives the statement with the
 * arguments bound without running it (for a write batch to run with others, see write-batch.ts).
 */
export type PreparedQuery<Name extends string, Row> = ((
  args: Record<Name, unknown>,
) => Promise<QueryResult<Row>>) & {
  query(args: Record<Name, unknown>): CompiledQuery<Row>;
  /**
   * The same with the arguments given by position, in the order of the names the query was
   * prepared with (no object to build: a many-row insert's arguments, see GroupedInsert).
   */
  queryOf(values: readonly unknown[]): CompiledQuery<Row>;
};
