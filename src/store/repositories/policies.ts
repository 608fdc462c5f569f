import type { Kysely } from 'kysely';
import type { Clock } from '../../clock.js';
import { preparedQuery } from '../prepared-query.js';
import type { Tables } from '../tables.js';

/** A stored policy document with its name and position. */
export interface StoredPolicy {
  kind: string;
  name: string;
  position: number;
  document: unknown;
  updatedAt: number;
}

/**
 * Administrator policies of every kind ("token", "passcode", "load-balancing", later
 * "authentication"), as JSON documents. Each kind validates its documents with its own schema
 * (src/policy/); this repository only stores them.
 */
export class PoliciesRepository {
  constructor(
    private readonly db: Kysely<Tables>,
    private readonly clock: Clock,
  ) {}

  /** Asked on every sign-in: built once (see preparedQuery). */
  private readonly selectVersion = preparedQuery(
    () => this.db,
    ['kind'],
    ({ kind }) =>
      this.db
        .selectFrom('policies')
        .select((eb) => [eb.fn.countAll<number>().as('count'), eb.fn.max('updated_at').as('latest')])
        .where('kind', '=', kind),
  );

  /** Every policy of a kind, in position order then by name. */
  async list(kind: string): Promise<StoredPolicy[]> {
    const rows = await this.db
      .selectFrom('policies')
      .selectAll()
      .where('kind', '=', kind)
      .orderBy('position')
      .orderBy('name')
      .execute();
    return rows.map((row) => ({
      kind: row.kind,
      name: row.name,
      position: row.position,
      document: JSON.parse(row.document) as unknown,
      updatedAt: row.updated_at,
    }));
  }

  async get(kind: string, name: string): Promise<StoredPolicy | undefined> {
    const row = await this.db
      .selectFrom('policies')
      .selectAll()
      .where('kind', '=', kind)
      .where('name', '=', name)
      .executeTakeFirst();
    return (
      row && {
        kind: row.kind,
        name: row.name,
        position: row.position,
        document: JSON.parse(row.document) as unknown,
        updatedAt: row.updated_at,
      }
    );
  }

  /** Creates or replaces one policy; a new one goes last among its kind, a replaced one keeps its place. */
  async put(kind: string, name: string, document: unknown): Promise<void> {
    const now = this.clock();
    const json = JSON.stringify(document);
    await this.db.transaction().execute(async (trx) => {
      const updated = await trx
        .updateTable('policies')
        .set({ document: json, updated_at: now })
        .where('kind', '=', kind)
        .where('name', '=', name)
        .executeTakeFirst();
      if (updated.numUpdatedRows > 0n) return;
      const { last } = await trx
        .selectFrom('policies')
        .select((eb) => eb.fn.max('position').as('last'))
        .where('kind', '=', kind)
        .executeTakeFirstOrThrow();
      const position = last === null ? 0 : Number(last) + 1;
      await trx
        .insertInto('policies')
        .values({ kind, name, position, document: json, updated_at: now })
        .execute();
    });
  }

  /** Replaces every policy of the given kinds at once (an import): one transaction, all or nothing. */
  async replaceKinds(kinds: Record<string, Array<{ name: string; document: unknown }>>): Promise<void> {
    const now = this.clock();
    await this.db.transaction().execute(async (trx) => {
      for (const [kind, policies] of Object.entries(kinds)) {
        await trx.deleteFrom('policies').where('kind', '=', kind).execute();
        if (policies.length === 0) continue;
        await trx
          .insertInto('policies')
          .values(
            policies.map((p, position) => ({
              kind,
              name: p.name,
              position,
              document: JSON.stringify(p.document),
              updated_at: now,
            })),
          )
          .execute();
      }
    });
  }

  /**
   * A value that changes whenever a policy of the kind is added, changed or removed (count and
   * latest change), so that a cache of compiled policies knows when to rebuild without reading them.
   */
  async version(kind: string): Promise<string> {
    const [row] = (await this.selectVersion({ kind })).rows;
    return `${Number(row!.count)}:${row!.latest ?? 0}`;
  }

  /** Deletes one policy; true when it existed. */
  async remove(kind: string, name: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('policies')
      .where('kind', '=', kind)
      .where('name', '=', name)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }
}
