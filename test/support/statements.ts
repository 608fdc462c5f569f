import type { Database } from '../../src/store/database.js';

/** The SQL of each exchange of one sign-in, in order. */
export type StatementsByExchange = Array<{ exchange: string; statements: string[] }>;

/** How many statements a sign-in ran in all its exchanges. */
export const totalStatements = (byExchange: StatementsByExchange) =>
  byExchange.reduce((n, { statements }) => n + statements.length, 0);

/** The statements of each exchange as text, so a budget that fails shows what ran. */
export function describeStatements(byExchange: StatementsByExchange): string {
  return byExchange
    .map(
      ({ exchange, statements }) =>
        `${exchange} (${statements.length}):\n${statements.map((s) => `    ${s}`).join('\n')}`,
    )
    .join('\n');
}

/**
 * Whether a statement belongs to a request's own path. The sign-in attempt writer inserts its
 * batches from a timer, off every request's path (bench/monitoring.ts measures its cost), with
 * the per-day counts (and per country, and per country and hour) in the same transaction, so both land inside whichever exchange happens to
 * be running: counting them would make a budget flaky. So would that transaction's `begin` and
 * `commit` (on PostgreSQL they interleave with the request's statements): transaction control is
 * not counted, the statements inside a transaction are.
 */
export const onRequestPath = (sql: string) =>
  !/^insert into "sign_in_attempt(s|_days|_country_days|_country_hours)"/i.test(sql) &&
  !/^(begin|commit|rollback)\b/i.test(sql);

/** Collects the statements the server runs during each exchange `counted` makes, until `stop`. */
export function countStatements(database: Pick<Database, 'observeStatements'>) {
  const byExchange: StatementsByExchange = [];
  let current: string[] = [];
  const stop = database.observeStatements((sql) => {
    if (onRequestPath(sql)) current.push(sql);
  });
  const counted = async <T>(exchange: string, run: () => Promise<T>): Promise<T> => {
    current = [];
    try {
      return await run();
    } finally {
      byExchange.push({ exchange, statements: current });
    }
  };
  return { byExchange, counted, stop };
}
