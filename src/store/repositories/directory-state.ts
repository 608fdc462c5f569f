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

  async remove(key: string): Promise<void> {
    await this.db.deleteFrom('directory_state').where('key', '=', key).execute();
  }
}
