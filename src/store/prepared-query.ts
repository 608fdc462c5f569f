import { type Compilable, CompiledQuery, type Kysely, type QueryResult } from 'kysely';

/** Stands for an argument while a prepared query is built; never a value a caller passes. */
const marker = (name: string) => `\u0000passgate-argument:${name}\u0000`;

/** A parameter of the compiled query: an argument's name, or a value fixed when it was built. */
type Slot = { argument: string } | { fixed: unknown };

/**
 * A query of the hot paths, built and compiled by Kysely once instead of on every call (building
 * and compiling costs more CPU than SQLite takes to run most of them). `build` receives a marker
 * for each named argument and must use each only as a value (a parameter of the compiled
 * statement), never to decide the query's shape: the statement is the same for every call, only
 * the parameters change. `database` may be given as a function (a repository's field initializer
 * cannot read the constructor's parameters yet); it is called on the first run.
 */
export function preparedQuery<DB, Name extends string, Row>(
  database: Kysely<DB> | (() => Kysely<DB>),
  names: readonly Name[],
  build: (args: Record<Name, never>) => Compilable<Row>,
): PreparedQuery<Name, Row> {
  let compiled: { query: CompiledQuery<Row>; slots: Slot[] } | undefined;
  const compile = () => {
    const markers = Object.fromEntries(names.map((name) => [name, marker(name)])) as Record<Name, never>;
    const byMarker = new Map<unknown, string>(names.map((name) => [marker(name), name]));
    const query = build(markers).compile();
    const slots = query.parameters.map((value): Slot => {
      const argument = byMarker.get(value);
      return argument === undefined ? { fixed: value } : { argument };
    });
    const unused = names.filter(
      (name) => !slots.some((slot) => 'argument' in slot && slot.argument === name),
    );
    if (unused.length > 0) throw new Error(`prepared query never uses ${unused.join(', ')}: ${query.sql}`);
    return { query, slots };
  };
  const db = () => (typeof database === 'function' ? database() : database);
  const query = (args: Record<Name, unknown>) => {
    compiled ??= compile();
    const parameters = compiled.slots.map((slot) =>
      'argument' in slot ? args[slot.argument as Name] : slot.fixed,
    );
    return CompiledQuery.raw(compiled.query.sql, parameters) as CompiledQuery<Row>;
  };
  return Object.assign((args: Record<Name, unknown>) => db().executeQuery(query(args)), { query });
}

/**
 * A prepared query: called, it runs with the arguments; `query` gives the statement with the
 * arguments bound without running it (for a write batch to run with others, see write-batch.ts).
 */
export type PreparedQuery<Name extends string, Row> = ((
  args: Record<Name, unknown>,
) => Promise<QueryResult<Row>>) & {
  query(args: Record<Name, unknown>): CompiledQuery<Row>;
};
