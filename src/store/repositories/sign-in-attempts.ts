import type { Kysely } from 'kysely';
import type { SignInAttemptRow, Tables } from '../tables.js';

/** Rows one prune statement deletes at most, so that a long backlog never holds the table for long. */
const PRUNE_BATCH = 5000;

/**
 * The written side of the sign-in attempts: batches from the attempt writer (one multi-row
 * insert each) and the retention's deletions, in batches. The monitoring queries are in
 * attempt-statistics.ts.
 */
export class SignInAttemptsRepository {
  constructor(private readonly db: Kysely<Tables>) {}

  /** Writes a batch of attempts in one statement. */
  async insertMany(rows: readonly SignInAttemptRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db
      .insertInto('sign_in_attempts')
      .values([...rows])
      .execute();
  }

  /**
   * Deletes the attempts older than `before`, `batch` rows per statement with a pause for other
   * work between them; returns how many went.
   */
  async prune(before: number, batch = PRUNE_BATCH): Promise<number> {
    let total = 0;
    for (;;) {
      const result = await this.db
        .deleteFrom('sign_in_attempts')
        .where('id', 'in', (eb) =>
          eb.selectFrom('sign_in_attempts').select('id').where('at', '<', before).orderBy('at').limit(batch),
        )
        .executeTakeFirst();
      const deleted = Number(result.numDeletedRows);
      total += deleted;
      if (deleted < batch) return total;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}
