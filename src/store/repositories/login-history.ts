import { type Kysely, sql } from 'kysely';
import { preparedQuery } from '../prepared-query.js';
import type { Tables } from '../tables.js';
import type { WriteBatch } from '../write-batch.js';

/** What a login-history entry records: the country of a login or the device it came from. */
export type LoginHistoryKind = 'country' | 'device';

/** One country or device a user has signed in from. */
export interface LoginHistoryEntry {
  kind: LoginHistoryKind;
  value: string;
  firstSeenAt: number;
  lastSeenAt: number;
}

/** Persistence of the countries and devices each user has signed in from. */
export class LoginHistoryRepository {
  constructor(private readonly db: Kysely<Tables>) {}

  // The statements of every sign-in, built once (see preparedQuery).
  private readonly selectSeen = preparedQuery(
    () => this.db,
    ['userId', 'kind', 'value'],
    ({ userId, kind, value }) =>
      this.db
        .selectFrom('login_history')
        .select('value')
        .where('user_id', '=', userId)
        .where('kind', '=', kind)
        .where('value', '=', value),
  );
  private readonly upsertSighting = preparedQuery(
    () => this.db,
    ['userId', 'kind', 'value', 'now'],
    ({ userId, kind, value, now }) =>
      this.db
        .insertInto('login_history')
        .values({ user_id: userId, kind, value, first_seen_at: now, last_seen_at: now })
        .onConflict((oc) =>
          oc.columns(['user_id', 'kind', 'value']).doUpdateSet({
            // Never backwards, whichever of two concurrent logins writes last.
            last_seen_at: sql`case when excluded.last_seen_at > login_history.last_seen_at
            then excluded.last_seen_at else login_history.last_seen_at end`,
          }),
        )
        .returning('first_seen_at'),
  );

  private readonly deleteBeyond = preparedQuery(
    () => this.db,
    ['userId', 'kind', 'keep'],
    ({ userId, kind, keep }) =>
      this.db
        .deleteFrom('login_history')
        .where('user_id', '=', userId)
        .where('kind', '=', kind)
        .where('value', 'not in', (eb) =>
          eb
            .selectFrom('login_history')
            .select('value')
            .where('user_id', '=', userId)
            .where('kind', '=', kind)
            .orderBy('last_seen_at', 'desc')
            .orderBy('value')
            .limit(keep),
        ),
  );

  /** Which of the given values of one kind the user has been seen with. */
  async seen(userId: string, kind: LoginHistoryKind, values: string[]): Promise<Set<string>> {
    if (values.length === 0) return new Set();
    if (values.length === 1) {
      const { rows } = await this.selectSeen({ userId, kind, value: values[0] });
      return new Set(rows.map((row) => row.value));
    }
    const rows = await this.db
      .selectFrom('login_history')
      .select('value')
      .where('user_id', '=', userId)
      .where('kind', '=', kind)
      .where('value', 'in', values)
      .execute();
    return new Set(rows.map((row) => row.value));
  }

  /**
   * Records a sighting at `now` in one atomic upsert, so concurrent logins never conflict; true
   * when the entry is new (first seen now), i.e. when the user's entries of that kind grew.
   */
  async touch(userId: string, kind: LoginHistoryKind, value: string, now: number): Promise<boolean> {
    const [row] = (await this.upsertSighting({ userId, kind, value, now })).rows;
    return Number(row!.first_seen_at) === now;
  }

  /** Forgets all but the `keep` most recently seen entries of one kind of a user. */
  async trim(userId: string, kind: LoginHistoryKind, keep: number): Promise<void> {
    await this.deleteBeyond({ userId, kind, keep });
  }

  /**
   * Adds to a batch of writes a sighting at `now` and, when `trimTo` is given (the entry is new,
   * as the sign-in's facts said), the forgetting of all but that many entries of the kind.
   */
  touchIn(
    batch: WriteBatch,
    sighting: { userId: string; kind: LoginHistoryKind; value: string; now: number },
    trimTo?: number,
  ): void {
    batch.add(this.db, this.upsertSighting.query(sighting));
    if (trimTo !== undefined)
      batch.add(
        this.db,
        this.deleteBeyond.query({ userId: sighting.userId, kind: sighting.kind, keep: trimTo }),
      );
  }

  /** Every entry of a user, most recently seen first. */
  async list(userId: string): Promise<LoginHistoryEntry[]> {
    const rows = await this.db
      .selectFrom('login_history')
      .selectAll()
      .where('user_id', '=', userId)
      .orderBy('last_seen_at', 'desc')
      .orderBy('kind')
      .orderBy('value')
      .execute();
    return rows.map((row) => ({
      kind: row.kind as LoginHistoryKind,
      value: row.value,
      firstSeenAt: Number(row.first_seen_at),
      lastSeenAt: Number(row.last_seen_at),
    }));
  }
}
