import type { Kysely, Selectable } from 'kysely';
import type { Clock } from '../../clock.js';
import { preparedQuery } from '../prepared-query.js';
import type { ChallengeRow, Tables } from '../tables.js';

/** A second-factor step as stored. */
export type StoredChallenge = Selectable<ChallengeRow>;

/** Second-factor steps in progress, shared by every server process (RADIUS State, web sessions). */
export class ChallengesRepository {
  constructor(
    private readonly db: Kysely<Tables>,
    private readonly clock: Clock,
  ) {}

  // The statements of every second-factor step, built once (see preparedQuery).
  private readonly selectOpen = preparedQuery(
    () => this.db,
    ['id', 'now'],
    ({ id, now }) =>
      this.db
        .selectFrom('challenges')
        .selectAll()
        .where('id', '=', id)
        .where('completed_at', 'is', null)
        .where('expires_at', '>', now),
  );
  private readonly completeOpen = preparedQuery(
    () => this.db,
    ['id', 'now'],
    ({ id, now }) =>
      this.db
        .updateTable('challenges')
        .set({ completed_at: now })
        .where('id', '=', id)
        .where('completed_at', 'is', null),
  );

  async create(row: ChallengeRow): Promise<void> {
    await this.db.insertInto('challenges').values(row).execute();
  }

  /** A challenge that is neither expired nor completed. */
  async findOpen(id: string): Promise<StoredChallenge | undefined> {
    return (await this.selectOpen({ id, now: this.clock() })).rows[0];
  }

  /** Remembers why the last passcode could not be sent (null: it was sent). */
  async setSendError(id: string, code: string | null): Promise<void> {
    await this.db.updateTable('challenges').set({ send_error: code }).where('id', '=', id).execute();
  }

  /** Completes a challenge; true for exactly one caller. */
  async complete(id: string): Promise<boolean> {
    const result = await this.completeOpen({ id, now: this.clock() });
    return result.numAffectedRows === 1n;
  }

  async prune(before: number): Promise<void> {
    await this.db.deleteFrom('challenges').where('expires_at', '<', before).execute();
  }
}
