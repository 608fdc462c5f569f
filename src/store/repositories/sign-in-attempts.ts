import type { Kysely, Transaction } from 'kysely';
import type {
  SignInAttemptCountryDayRow,
  SignInAttemptCountryHourRow,
  SignInAttemptDayRow,
  SignInAttemptRow,
  Tables,
} from '../tables.js';

/** Rows one prune statement deletes at most, so that a long backlog never holds the table for long. */
const PRUNE_BATCH = 5000;

const DAY = 86_400_000;
const HOUR = 3_600_000;

/** The columns an attempt is counted by in `sign_in_attempt_days`. */
type DayKey = Pick<SignInAttemptRow, 'at' | 'country' | 'result' | 'door' | 'application' | 'first_seen'>;

/** Attempts counted per day row: what a batch adds to (or a prune takes from) `sign_in_attempt_days`. */
function countByDay(rows: readonly DayKey[], sign: 1 | -1): SignInAttemptDayRow[] {
  const days = new Map<string, SignInAttemptDayRow>();
  for (const row of rows) {
    const day = Math.floor(Number(row.at) / DAY) * DAY;
    const key = [day, row.country ?? '', row.result, row.door, row.application ?? ''];
    const id = key.join('\u0000');
    const counted = days.get(id) ?? {
      day,
      country: row.country ?? '',
      result: row.result,
      door: row.door,
      application: row.application ?? '',
      attempts: 0,
      first_seen: 0,
    };
    counted.attempts += sign;
    counted.first_seen += sign * Number(row.first_seen);
    days.set(id, counted);
  }
  return [...days.values()];
}

/** The day rows' counts summed without the door and application: what `sign_in_attempt_country_days` adds. */
function countByCountryDay(days: readonly SignInAttemptDayRow[]): SignInAttemptCountryDayRow[] {
  const counted = new Map<string, SignInAttemptCountryDayRow>();
  for (const { day, country, result, attempts, first_seen } of days) {
    const id = `${day}\u0000${country}\u0000${result}`;
    const row = counted.get(id);
    if (row) {
      row.attempts += attempts;
      row.first_seen += first_seen;
    } else counted.set(id, { day, country, result, attempts, first_seen });
  }
  return [...counted.values()];
}

/** Attempts counted per country, day and hour of day: what a batch adds to (or a prune takes from) `sign_in_attempt_country_hours`. */
function countByHour(
  rows: readonly Pick<SignInAttemptRow, 'at' | 'country'>[],
  sign: 1 | -1,
): SignInAttemptCountryHourRow[] {
  const hours = new Map<string, SignInAttemptCountryHourRow>();
  for (const row of rows) {
    const at = Number(row.at);
    const day = Math.floor(at / DAY) * DAY;
    const hour = Math.floor(at / HOUR) % 24;
    const country = row.country ?? '';
    const id = `${country}\u0000${day}\u0000${hour}`;
    const counted = hours.get(id);
    if (counted) counted.attempts += sign;
    else hours.set(id, { country, day, hour, attempts: sign });
  }
  return [...hours.values()];
}

/**
 * Adds counts to the day rows, the country day rows and the country hour rows (creating them),
 * in the caller's transaction, so that each always equals a GROUP BY over the attempts.
 */
async function addToDays(
  trx: Transaction<Tables>,
  counts: SignInAttemptDayRow[],
  hours: SignInAttemptCountryHourRow[],
): Promise<void> {
  if (counts.length === 0) return;
  await trx
    .insertInto('sign_in_attempt_days')
    .values(counts)
    .onConflict((oc) =>
      oc.columns(['day', 'country', 'result', 'door', 'application']).doUpdateSet((eb) => ({
        attempts: eb('sign_in_attempt_days.attempts', '+', eb.ref('excluded.attempts')),
        first_seen: eb('sign_in_attempt_days.first_seen', '+', eb.ref('excluded.first_seen')),
      })),
    )
    .execute();
  await trx
    .insertInto('sign_in_attempt_country_days')
    .values(countByCountryDay(counts))
    .onConflict((oc) =>
      oc.columns(['day', 'country', 'result']).doUpdateSet((eb) => ({
        attempts: eb('sign_in_attempt_country_days.attempts', '+', eb.ref('excluded.attempts')),
        first_seen: eb('sign_in_attempt_country_days.first_seen', '+', eb.ref('excluded.first_seen')),
      })),
    )
    .execute();
  await trx
    .insertInto('sign_in_attempt_country_hours')
    .values(hours)
    .onConflict((oc) =>
      oc.columns(['country', 'day', 'hour']).doUpdateSet((eb) => ({
        attempts: eb('sign_in_attempt_country_hours.attempts', '+', eb.ref('excluded.attempts')),
      })),
    )
    .execute();
}

/**
 * The written side of the sign-in attempts: batches from the attempt writer (one multi-row
 * insert each, with the per-day counts of `sign_in_attempt_days` and
 * `sign_in_attempt_country_days` and the per-hour counts of `sign_in_attempt_country_hours` in
 * the same transaction) and
 * the retention's deletions, in batches, taking their counts off the days. The monitoring
 * queries are in attempt-statistics.ts.
 */
export class SignInAttemptsRepository {
  constructor(private readonly db: Kysely<Tables>) {}

  /** Writes a batch of attempts in one statement, and counts them per day in the same transaction. */
  async insertMany(rows: readonly SignInAttemptRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('sign_in_attempts')
        .values([...rows])
        .execute();
      await addToDays(trx, countByDay(rows, 1), countByHour(rows, 1));
    });
  }

  /** A user's last attempts, newest first (the index on user name and time: one range read). */
  async recentOfUser(userName: string, limit: number): Promise<SignInAttemptRow[]> {
    return this.db
      .selectFrom('sign_in_attempts')
      .selectAll()
      .where('user_name', '=', userName)
      .orderBy('at', 'desc')
      .limit(limit)
      .execute();
  }

  /**
   * Deletes the attempts older than `before`, `batch` rows per statement with a pause for other
   * work between them, each batch's counts taken off the days in its transaction; returns how
   * many went.
   */
  async prune(before: number, batch = PRUNE_BATCH): Promise<number> {
    let total = 0;
    for (;;) {
      const deleted = await this.db.transaction().execute(async (trx) => {
        const gone = await trx
          .deleteFrom('sign_in_attempts')
          .where('id', 'in', (eb) =>
            eb
              .selectFrom('sign_in_attempts')
              .select('id')
              .where('at', '<', before)
              .orderBy('at')
              .limit(batch),
          )
          .returning(['at', 'country', 'result', 'door', 'application', 'first_seen'])
          .execute();
        const hours = countByHour(gone, -1);
        await addToDays(trx, countByDay(gone, -1), hours);
        for (const table of ['sign_in_attempt_days', 'sign_in_attempt_country_days'] as const)
          await trx
            .deleteFrom(table)
            .where('day', '<', Math.ceil(before / DAY) * DAY)
            .where('attempts', '<=', 0)
            .execute();
        // The hour rows this batch emptied (its key starts with the country, not the day).
        if (hours.length > 0)
          await trx
            .deleteFrom('sign_in_attempt_country_hours')
            .where('country', 'in', [...new Set(hours.map((h) => h.country))])
            .where('day', 'in', [...new Set(hours.map((h) => h.day))])
            .where('attempts', '<=', 0)
            .execute();
        return gone.length;
      });
      total += deleted;
      if (deleted < batch) return total;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}
