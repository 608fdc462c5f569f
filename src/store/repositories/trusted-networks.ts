import type { Kysely, Selectable } from 'kysely';
import type { Tables, TrustedNetworkRow } from '../tables.js';

/** What Passgate knows about one network of one user. */
export interface TrustedNetwork {
  userId: string;
  network: string;
  /** The most recent success times (epoch ms), ascending. */
  successes: number[];
  firstSuccessAt: number;
  lastSuccessAt: number;
  trustedUntil: number | null;
  revokedAt: number | null;
}

/** A network with the name of its user, for listings. */
export type ListedTrustedNetwork = TrustedNetwork & { username: string };

/** The fields a change may set. */
export type TrustedNetworkChange = Pick<
  TrustedNetwork,
  'successes' | 'firstSuccessAt' | 'lastSuccessAt' | 'trustedUntil' | 'revokedAt'
>;

/**
 * Persistence of learned networks. Rules (how many successes, for how long) belong to the
 * caller; this only guarantees that concurrent changes of one network never lose each other.
 */
export class TrustedNetworksRepository {
  constructor(private readonly db: Kysely<Tables>) {}

  async find(userId: string, network: string): Promise<TrustedNetwork | undefined> {
    const row = await this.db
      .selectFrom('trusted_networks')
      .selectAll()
      .where('user_id', '=', userId)
      .where('network', '=', network)
      .executeTakeFirst();
    return row && toTrustedNetwork(row);
  }

  /**
   * Reads, changes and writes one network under a row lock: the first statement is an upsert
   * (which creates an empty entry at `now` when there is none), so PostgreSQL locks the row and
   * SQLite takes its write lock before anything is read, and a concurrent change waits for this one.
   */
  async change(
    userId: string,
    network: string,
    now: number,
    apply: (current: TrustedNetwork) => TrustedNetworkChange,
  ): Promise<TrustedNetwork> {
    return this.db.transaction().execute(async (trx) => {
      const row = await trx
        .insertInto('trusted_networks')
        .values({ user_id: userId, network, successes: '[]', first_success_at: now, last_success_at: now })
        .onConflict((oc) =>
          oc.columns(['user_id', 'network']).doUpdateSet((eb) => ({ network: eb.ref('excluded.network') })),
        )
        .returningAll()
        .executeTakeFirstOrThrow();
      const next = { ...toTrustedNetwork(row), ...apply(toTrustedNetwork(row)) };
      await trx
        .updateTable('trusted_networks')
        .set({
          successes: JSON.stringify(next.successes),
          first_success_at: next.firstSuccessAt,
          last_success_at: next.lastSuccessAt,
          trusted_until: next.trustedUntil,
          revoked_at: next.revokedAt,
        })
        .where('user_id', '=', userId)
        .where('network', '=', network)
        .execute();
      return next;
    });
  }

  /** Every network of one user, or of everybody, by user name and network. */
  async list(userId?: string): Promise<ListedTrustedNetwork[]> {
    let query = this.db
      .selectFrom('trusted_networks')
      .innerJoin('users', 'users.id', 'trusted_networks.user_id')
      .selectAll('trusted_networks')
      .select('users.username')
      .orderBy('users.username')
      .orderBy('trusted_networks.network');
    if (userId !== undefined) query = query.where('trusted_networks.user_id', '=', userId);
    const rows = await query.execute();
    return rows.map((row) => ({ ...toTrustedNetwork(row), username: row.username }));
  }

  /**
   * Marks one network (or every network) of a user revoked at `now`, forgetting its successes
   * and trust; returns how many were not revoked before.
   */
  /**
   * Deletes the networks whose last success is older than `staleBefore` and that are not trusted
   * at `now`: their successes can no longer add up to trust. Returns how many were deleted.
   */
  async prune(staleBefore: number, now: number): Promise<number> {
    const result = await this.db
      .deleteFrom('trusted_networks')
      .where('last_success_at', '<', staleBefore)
      .where((eb) => eb.or([eb('trusted_until', 'is', null), eb('trusted_until', '<', now)]))
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async revoke(userId: string, now: number, network?: string): Promise<number> {
    let query = this.db
      .updateTable('trusted_networks')
      .set({ revoked_at: now, successes: '[]', trusted_until: null })
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null);
    if (network !== undefined) query = query.where('network', '=', network);
    const result = await query.executeTakeFirst();
    return Number(result.numUpdatedRows);
  }
}

function toTrustedNetwork(row: Selectable<TrustedNetworkRow>): TrustedNetwork {
  return {
    userId: row.user_id,
    network: row.network,
    successes: (JSON.parse(row.successes) as number[]).map(Number),
    firstSuccessAt: Number(row.first_success_at),
    lastSuccessAt: Number(row.last_success_at),
    trustedUntil: row.trusted_until === null ? null : Number(row.trusted_until),
    revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
  };
}
