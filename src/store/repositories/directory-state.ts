import type { Kysely } from 'kysely';
import type { Clock } from '../../clock.js';
import type { Tables } from '../tables.js';

/** Small named values a directory keeps between runs (the highest uSNChanged seen, per DC). */
export class DirectoryStateRepository {
  constructor(
    private readonly db: Kysely<Tables>,
    private readonly clock: Clock,
  ) {}

  async get(key: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('directory_state')
      .select('value')
      .where('key', '=', key)
      .executeTakeFirst();
    return row?.value;
  }

  async set(key: string, value: string): Promise<void> {
    const now = this.clock();
    await this.db
      .insertInto('directory_state')
      .values({ key, value, updated_at: now })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value, updated_at: now }))
      .execute();
  }

  /**
   * Takes the lease `key` for `holder` until `until` (epoch ms), unless another holder's lease
   * has not expired: one synchronisation at a time across processes (the server's schedule, the
   * CLI, other servers on the same database). True when taken.
   */
  async acquire(key: string, holder: string, until: number): Promise<boolean> {
    const now = this.clock();
    const value = JSON.stringify({ holder, until });
    const current = await this.get(key);
    if (current === undefined) {
      const result = await this.db
        .insertInto('directory_state')
        .values({ key, value, updated_at: now })
        .onConflict((oc) => oc.column('key').doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
    }
    const lease = parseLease(current);
    if (lease && lease.holder !== holder && lease.until > now) return false;
    // Compare-and-set: a holder that took it meanwhile wins.
    const result = await this.db
      .updateTable('directory_state')
      .set({ value, updated_at: now })
      .where('key', '=', key)
      .where('value', '=', current)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Gives a lease back, if `holder` still has it. */
  async release(key: string, holder: string): Promise<void> {
    const current = await this.get(key);
    if (current !== undefined && parseLease(current)?.holder === holder) {
      await this.db
        .deleteFrom('directory_state')
        .where('key', '=', key)
        .where('value', '=', current)
        .execute();
    }
  }

  async remove(key: string): Promise<void> {
    await this.db.deleteFrom('directory_state').where('key', '=', key).execute();
  }
}

function parseLease(value: string): { holder: string; until: number } | undefined {
  try {
    const lease = JSON.parse(value) as { holder?: unknown; until?: unknown };
    return typeof lease.holder === 'string' && typeof lease.until === 'number'
      ? { holder: lease.holder, until: lease.until }
      : undefined;
  } catch {
    return undefined;
  }
}
