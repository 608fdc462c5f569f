import type { CompiledQuery, Kysely } from 'kysely';
import { type Adapter, type AdapterPayload, errors } from 'oidc-provider';
import type { Clock } from '../../clock.js';
import type { CommitGroup } from '../../store/commit-group.js';
import { preparedQuery } from '../../store/prepared-query.js';
import type { StagedWrites } from '../../store/staged-writes.js';
import type { Tables } from '../../store/tables.js';

/** Constructor oidc-provider calls once per model name. */
export type AdapterFactory = new (model: string) => Adapter;

/**
 * oidc-provider storage for every model (sessions, interactions, grants, codes, tokens) in
 * Passgate's store. Expired rows are invisible at once and deleted by {@link pruneOidcPayloads}.
 *
 * `consume` is atomic: of two concurrent uses of one authorization code or refresh token, only
 * one wins; the other fails as a replay and revokes everything issued from the grant.
 *
 * With `commits`, the writes of a sign-in's exchanges (save, consume, destroy) join the other
 * writes of their turn of the event loop in one transaction (see CommitGroup): each still
 * resolves only once committed, and consume still learns whether it spent the row, but
 * concurrent requests (client-credentials grants above all, one token row each) share a commit
 * instead of paying one each.
 *
 * With `staged` as well, save and destroy do not wait for their commit: the request's writes of
 * a turn share one, and whoever answers a request that may have written through the adapter
 * (oidc-provider's routes, see holdAnswerForWrites; the hosted login's finish of an OIDC flow)
 * waits for them with `staged.settled` first. `consume` still waits for its own commit, whose
 * result says whether this use spent the code.
 */
export function createOidcAdapter(
  db: Kysely<Tables>,
  clock: Clock,
  commits?: CommitGroup,
  staged?: StagedWrites,
): AdapterFactory {
  const write = <Row>(query: CompiledQuery<Row>) => (commits ? commits.run(query) : db.executeQuery(query));
  /** A write whose result nobody reads: staged when it may be, else committed before it resolves. */
  const store = async (query: CompiledQuery): Promise<void> => {
    if (staged) staged.stage(query);
    else await write(query);
  };
  // The statements of every oidc-provider exchange, built once (see preparedQuery).
  const upsertRow = preparedQuery(
    db,
    ['model', 'id', 'payload', 'grant_id', 'uid', 'user_code', 'expires_at'],
    (row) =>
      db
        .insertInto('oidc_payloads')
        .values({ ...row, consumed_at: null })
        .onConflict((oc) =>
          oc.columns(['model', 'id']).doUpdateSet({
            payload: row.payload,
            grant_id: row.grant_id,
            uid: row.uid,
            user_code: row.user_code,
            expires_at: row.expires_at,
          }),
        ),
  );
  const findRow = (column: 'id' | 'uid' | 'user_code') =>
    preparedQuery(db, ['model', 'value'], ({ model, value }) =>
      db
        .selectFrom('oidc_payloads')
        .select(['payload', 'expires_at', 'consumed_at'])
        .where('model', '=', model)
        .where(column, '=', value),
    );
  const findBy = { id: findRow('id'), uid: findRow('uid'), user_code: findRow('user_code') };
  const consumeRow = preparedQuery(db, ['model', 'id', 'now'], ({ model, id, now }) =>
    db
      .updateTable('oidc_payloads')
      .set({ consumed_at: now })
      .where('model', '=', model)
      .where('id', '=', id)
      .where('consumed_at', 'is', null),
  );
  const destroyRow = preparedQuery(db, ['model', 'id'], ({ model, id }) =>
    db.deleteFrom('oidc_payloads').where('model', '=', model).where('id', '=', id),
  );

  return class StoreAdapter implements Adapter {
    constructor(readonly model: string) {}

    async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      await store(
        upsertRow.query({
          model: this.model,
          id,
          payload: JSON.stringify(payload),
          grant_id: payload.grantId ?? null,
          uid: payload.uid ?? null,
          user_code: payload.userCode ?? null,
          expires_at: expiresIn ? clock() + expiresIn * 1000 : null,
        }),
      );
    }

    find(id: string): Promise<AdapterPayload | undefined> {
      return this.findBy('id', id);
    }

    findByUid(uid: string): Promise<AdapterPayload | undefined> {
      return this.findBy('uid', uid);
    }

    findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      return this.findBy('user_code', userCode);
    }

    async consume(id: string): Promise<void> {
      const result = await write(consumeRow.query({ model: this.model, id, now: clock() }));
      if (!result.numAffectedRows) {
        const row = await db
          .selectFrom('oidc_payloads')
          .select('grant_id')
          .where('model', '=', this.model)
          .where('id', '=', id)
          .executeTakeFirst();
        if (row?.grant_id) await revokeGrant(row.grant_id);
        throw new errors.InvalidGrant('grant request is invalid');
      }
    }

    async destroy(id: string): Promise<void> {
      await store(destroyRow.query({ model: this.model, id }));
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await db
        .deleteFrom('oidc_payloads')
        .where('model', '=', this.model)
        .where('grant_id', '=', grantId)
        .execute();
    }

    private async findBy(
      column: 'id' | 'uid' | 'user_code',
      value: string,
    ): Promise<AdapterPayload | undefined> {
      const [row] = (await findBy[column]({ model: this.model, value })).rows;
      if (!row || (row.expires_at !== null && row.expires_at <= clock())) return undefined;
      const payload = JSON.parse(row.payload) as AdapterPayload;
      return row.consumed_at === null
        ? payload
        : { ...payload, consumed: Math.floor(row.consumed_at / 1000) };
    }
  };

  /** Removes every token, code and grant issued under a grant (code or refresh-token replay). */
  async function revokeGrant(grantId: string): Promise<void> {
    await db
      .deleteFrom('oidc_payloads')
      .where((eb) =>
        eb.or([eb('grant_id', '=', grantId), eb.and([eb('model', '=', 'Grant'), eb('id', '=', grantId)])]),
      )
      .execute();
  }
}

/** Deletes expired oidc-provider rows; returns how many went. */
export async function pruneOidcPayloads(db: Kysely<Tables>, now: number): Promise<number> {
  const result = await db.deleteFrom('oidc_payloads').where('expires_at', '<=', now).executeTakeFirst();
  return Number(result.numDeletedRows);
}
