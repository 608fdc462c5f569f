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

  /**
   * Counts the changes made through this repository (this process): a cache of policies checks
   * it on every use, so a change made here is seen at once, and asks {@link version} for changes
   * made by other processes only from time to time.
   */
  get changesHere(): number {
    return this.changes;
  }

  private changes = 0;

  /** Runs a write and counts it once it ended (committed or not: a cache then simply looks again). */
  private async changing<T>(write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } finally {
      this.changes++;
    }
  }

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

  /**
   * Creates or replaces one policy; a new one goes last among its kind, a replaced one keeps its
   * place. With `expected` the write happens only if the policy's `updatedAt` is still that value
   * (`null`: only if there is no such policy yet), so that an edit based on an old reading is
   * refused rather than undoing someone else's; false when it was refused.
   */
  async put(kind: string, name: string, document: unknown, expected?: number | null): Promise<boolean> {
    const json = JSON.stringify(document);
    return this.changing(() =>
      this.db.transaction().execute(async (trx) => {
        const now = await this.stamp(trx, kind);
        if (expected !== null) {
          let update = trx
            .updateTable('policies')
            .set({ document: json, updated_at: now })
            .where('kind', '=', kind)
            .where('name', '=', name);
          if (expected !== undefined) update = update.where('updated_at', '=', expected);
          const updated = await update.executeTakeFirst();
          if (updated.numUpdatedRows > 0n) return true;
          if (expected !== undefined) return false;
        }
        const { last } = await trx
          .selectFrom('policies')
          .select((eb) => eb.fn.max('position').as('last'))
          .where('kind', '=', kind)
          .executeTakeFirstOrThrow();
        const position = last === null ? 0 : Number(last) + 1;
        const inserted = await trx
          .insertInto('policies')
          .values({ kind, name, position, document: json, updated_at: now })
          .onConflict((conflict) => conflict.columns(['kind', 'name']).doNothing())
          .executeTakeFirst();
        return (inserted.numInsertedOrUpdatedRows ?? 0n) > 0n;
      }),
    );
  }

  /**
   * Swaps a policy with its neighbour before (`-1`) or after (`+1`) it in its kind's order, if
   * the kind's {@link version} is still `expectedVersion`: 'stale' when it is not, 'edge' when
   * there is no neighbour that way, 'missing' when there is no such policy.
   */
  async move(
    kind: string,
    name: string,
    direction: -1 | 1,
    expectedVersion: string,
  ): Promise<'moved' | 'stale' | 'edge' | 'missing'> {
    return this.changing(() =>
      this.db.transaction().execute(async (trx) => {
        const rows = await trx
          .selectFrom('policies')
          .select(['name', 'position', 'updated_at'])
          .where('kind', '=', kind)
          .orderBy('position')
          .orderBy('name')
          .execute();
        const latest = rows.reduce((max, row) => Math.max(max, Number(row.updated_at)), 0);
        if (`${rows.length}:${rows.length === 0 ? 0 : latest}` !== expectedVersion) return 'stale';
        const index = rows.findIndex((row) => row.name === name);
        if (index < 0) return 'missing';
        const other = rows[index + direction];
        if (!other) return 'edge';
        const now = await this.stamp(trx, kind);
        // Positions may have gaps or ties (an older import): renumber the kind in its new order.
        const order = rows.map((row) => row.name);
        [order[index], order[index + direction]] = [other.name, name];
        for (const [position, each] of order.entries()) {
          const moved = each === name || each === other.name;
          await trx
            .updateTable('policies')
            .set(moved ? { position, updated_at: now } : { position })
            .where('kind', '=', kind)
            .where('name', '=', each)
            .execute();
        }
        return 'moved';
      }),
    );
  }

  /**
   * The time a write of the kind records: the clock, but always after the kind's latest change,
   * so that every write changes {@link version} even within one millisecond.
   */
  private async stamp(trx: Kysely<Tables>, kind: string): Promise<number> {
    const { latest } = await trx
      .selectFrom('policies')
      .select((eb) => eb.fn.max('updated_at').as('latest'))
      .where('kind', '=', kind)
      .executeTakeFirstOrThrow();
    return Math.max(this.clock(), latest === null ? 0 : Number(latest) + 1);
  }

  /** Replaces every policy of the given kinds at once (an import): one transaction, all or nothing. */
  async replaceKinds(kinds: Record<string, Array<{ name: string; document: unknown }>>): Promise<void> {
    await this.changing(() =>
      this.db.transaction().execute(async (trx) => {
        for (const [kind, policies] of Object.entries(kinds)) {
          const now = await this.stamp(trx, kind);
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
      }),
    );
  }

  /**
   * A value that changes whenever a policy of the kind is added, changed or removed (count and
   * latest change), so that a cache of compiled policies knows when to rebuild without reading them.
   */
  async version(kind: string): Promise<string> {
    const [row] = (await this.selectVersion({ kind })).rows;
    return `${Number(row!.count)}:${row!.latest ?? 0}`;
  }

  /** Deletes one policy; true when it existed (and, with `expected`, was still at that `updatedAt`). */
  async remove(kind: string, name: string, expected?: number): Promise<boolean> {
    let query = this.db.deleteFrom('policies').where('kind', '=', kind).where('name', '=', name);
    if (expected !== undefined) query = query.where('updated_at', '=', expected);
    const result = await this.changing(() => query.executeTakeFirst());
    return result.numDeletedRows > 0n;
  }
}
