import type { Kysely } from 'kysely';
import type { Clock } from '../../clock.js';
import type { Tables } from '../tables.js';

/** The hashed codes of backup-code tokens. */
export class BackupCodesRepository {
  constructor(
    private readonly db: Kysely<Tables>,
    private readonly clock: Clock,
  ) {}

  /** Replaces a token's codes with new ones (a fresh printed list). */
  async replace(tokenId: string, hashes: readonly string[]): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('backup_codes').where('token_id', '=', tokenId).execute();
      if (hashes.length > 0) {
        await trx
          .insertInto('backup_codes')
          .values(hashes.map((code_hash) => ({ token_id: tokenId, code_hash, used_at: null })))
          .execute();
      }
    });
  }

  /** Marks the code with one of these hashes used; true only for the one call that did. */
  async use(tokenId: string, hashes: readonly string[]): Promise<boolean> {
    const result = await this.db
      .updateTable('backup_codes')
      .set({ used_at: this.clock() })
      .where('token_id', '=', tokenId)
      .where('code_hash', 'in', hashes)
      .where('used_at', 'is', null)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /** How many unused codes a token has left. */
  async remaining(tokenId: string): Promise<number> {
    const { n } = await this.db
      .selectFrom('backup_codes')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('token_id', '=', tokenId)
      .where('used_at', 'is', null)
      .executeTakeFirstOrThrow();
    return Number(n);
  }
}
