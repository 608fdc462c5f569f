import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Clock } from '../clock.js';
import type { SecretBox } from '../crypto/secret-box.js';
import type { Tables } from '../store/tables.js';

/**
 * Random secrets made on first use and kept for good, sealed under the master key like signing
 * keys: unlike keys derived from the master key, they stay the same when the master key changes,
 * which identifiers computed from them (SAML pairwise NameIDs) need.
 */
export class StoredSecrets {
  constructor(
    private readonly db: Kysely<Tables>,
    private readonly box: SecretBox,
    private readonly clock: Clock,
  ) {}

  /** The secret `name` (32 random bytes), made and stored the first time; safe from several processes. */
  async ensure(name: string): Promise<Buffer> {
    const context = `stored-secret:${name}`;
    await this.db
      .insertInto('stored_secrets')
      .values({ name, sealed: this.box.seal(randomBytes(32), context), created_at: this.clock() })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    const row = await this.db
      .selectFrom('stored_secrets')
      .select('sealed')
      .where('name', '=', name)
      .executeTakeFirstOrThrow();
    return this.box.open(row.sealed, context);
  }
}
