import { type CompiledQuery, type Kysely, type QueryResult, type Selectable, sql } from 'kysely';
import type { Clock } from '../../clock.js';
import type { SecretBox } from '../../crypto/secret-box.js';
import type { CommitGroup } from '../commit-group.js';
import { StoreErrors } from '../errors.js';
import { preparedQuery } from '../prepared-query.js';
import type { Tables, TokenRow } from '../tables.js';
import { isUniqueViolation } from '../unique-violation.js';
import type { WriteBatch } from '../write-batch.js';

/** Life cycle of a token: pending until its enrolment is confirmed with a valid code. */
export type TokenStatus = 'pending' | 'active' | 'disabled';

/** A token as the engine sees it. The secret is never part of it: see {@link TokensRepository.secretOf}. */
export interface Token {
  id: string;
  userId: string;
  type: string;
  serial: string | null;
  description: string | null;
  hardware: boolean;
  algorithm: string | null;
  digits: number | null;
  period: number | null;
  counter: number;
  drift: number;
  lastStep: number | null;
  destination: string | null;
  status: TokenStatus;
  failures: number;
  lastFailureAt: number | null;
  lockedUntil: number | null;
  tokenPolicy: string | null;
  createdAt: number;
  lastUsedAt: number | null;
}

/** What a new token is made of. */
export interface NewToken {
  id: string;
  userId: string;
  type: string;
  secret?: Uint8Array | null;
  serial?: string | null;
  description?: string | null;
  hardware?: boolean;
  algorithm?: string | null;
  digits?: number | null;
  period?: number | null;
  counter?: number;
  destination?: string | null;
  status?: TokenStatus;
  tokenPolicy?: string | null;
}

/**
 * Persistence of tokens. Every state change that decides whether a code is accepted is one
 * conditional UPDATE, so a code is accepted at most once even under concurrent submissions from
 * several server processes.
 */
export class TokensRepository {
  constructor(
    private readonly db: Kysely<Tables>,
    private readonly box: SecretBox,
    private readonly clock: Clock,
    /** When given, a code's spending is committed with the other writes of its turn (see CommitGroup). */
    private readonly commits?: CommitGroup,
  ) {}

  // The statements of every second-factor step, built once (see preparedQuery).
  private readonly selectById = preparedQuery(
    () => this.db,
    ['id'],
    ({ id }) => this.db.selectFrom('tokens').selectAll().where('id', '=', id),
  );
  private readonly selectByUser = preparedQuery(
    () => this.db,
    ['userId'],
    ({ userId }) =>
      this.db
        .selectFrom('tokens')
        .selectAll()
        .where('user_id', '=', userId)
        .orderBy('created_at')
        .orderBy('id'),
  );
  private readonly selectSecret = preparedQuery(
    () => this.db,
    ['id'],
    ({ id }) => this.db.selectFrom('tokens').select('secret').where('id', '=', id),
  );
  private readonly updateTimeStep = preparedQuery(
    () => this.db,
    ['id', 'step', 'drift', 'now'],
    ({ id, step, drift, now }) =>
      this.db
        .updateTable('tokens')
        .set({ last_step: step, drift, failures: 0, last_failure_at: null, last_used_at: now })
        .where('id', '=', id)
        .where((eb) => eb.or([eb('last_step', 'is', null), eb('last_step', '<', step)])),
  );
  private readonly updateCounter = preparedQuery(
    () => this.db,
    ['id', 'expected', 'next', 'now'],
    ({ id, expected, next, now }) =>
      this.db
        .updateTable('tokens')
        .set({ counter: next, failures: 0, last_failure_at: null, last_used_at: now })
        .where('id', '=', id)
        .where('counter', '=', expected),
  );

  /** Creates one token; raises CONFLICT when its id or serial is taken. */
  async create(token: NewToken): Promise<Token> {
    return (await this.createMany([token]))[0]!;
  }

  /** Creates several tokens in one transaction: all of them, or none (imports). */
  async createMany(tokens: readonly NewToken[]): Promise<Token[]> {
    const rows = tokens.map((t) => this.toRow(t));
    try {
      await this.db.transaction().execute(async (trx) => {
        for (const row of rows) await trx.insertInto('tokens').values(row).execute();
      });
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw StoreErrors.CONFLICT({ detail: 'a token with this id or serial already exists', cause: error });
      }
      throw error;
    }
    return rows.map(toToken);
  }

  async findById(id: string): Promise<Token | undefined> {
    const [row] = (await this.selectById({ id })).rows;
    return row && toToken(row);
  }

  /** Tokens of a user, oldest first (each with its sealed secret kept aside, see {@link secretOfListed}). */
  async listByUser(userId: string): Promise<Token[]> {
    return (await this.selectByUser({ userId })).rows.map((row) => {
      const token = toToken(row);
      if (row.secret) this.sealedSecrets.set(token, row.secret);
      return token;
    });
  }

  /**
   * The sealed secrets of the tokens {@link listByUser} gave (the row has them already), so that
   * checking a code needs no second read; never part of a Token, gone with the token object.
   */
  private readonly sealedSecrets = new WeakMap<Token, string>();

  /** The secret of a token {@link listByUser} gave, unsealed from the row it was listed with (else read). */
  async secretOfListed(token: Token): Promise<Buffer> {
    const sealed = this.sealedSecrets.get(token);
    return sealed ? this.box.open(sealed, secretContext(token.id)) : this.secretOf(token.id);
  }

  /** The token with a hardware serial number, if any (assigning an imported token). */
  async findBySerial(serial: string): Promise<Token | undefined> {
    const row = await this.db
      .selectFrom('tokens')
      .selectAll()
      .where('serial', '=', serial)
      .executeTakeFirst();
    return row && toToken(row);
  }

  /** Gives a token to another user, its failures and lock cleared (a hardware token handed over). */
  async assign(id: string, userId: string): Promise<boolean> {
    return this.update(id, { user_id: userId, failures: 0, last_failure_at: null, locked_until: null });
  }

  /** Ids of the given serials that already exist (import pre-checks). */
  async existingSerials(serials: readonly string[]): Promise<string[]> {
    if (serials.length === 0) return [];
    const rows = await this.db.selectFrom('tokens').select('serial').where('serial', 'in', serials).execute();
    return rows.map((r) => r.serial!).filter(Boolean);
  }

  /** The token's shared secret, unsealed. */
  async secretOf(id: string): Promise<Buffer> {
    const [row] = (await this.selectSecret({ id })).rows;
    if (!row?.secret) throw StoreErrors.NOT_FOUND({ detail: `token ${id} has no secret` });
    return this.box.open(row.secret, secretContext(id));
  }

  /**
   * Accepts a TOTP time step if it is later than every step accepted before; learns the drift.
   * `whenAccepted`: writes stored with the acceptance, in its transaction, only if it is accepted
   * (see {@link spend}).
   */
  async acceptTimeStep(id: string, step: number, drift: number, whenAccepted?: WriteBatch): Promise<boolean> {
    const result = await this.spend(
      this.updateTimeStep.query({ id, step, drift, now: this.clock() }),
      whenAccepted,
    );
    return result.numAffectedRows === 1n;
  }

  /**
   * Accepts an HOTP counter value if the token's counter is still `expected`; moves it past
   * `matched`. `whenAccepted` as for {@link acceptTimeStep}.
   */
  async acceptCounter(
    id: string,
    expected: number,
    matched: number,
    whenAccepted?: WriteBatch,
  ): Promise<boolean> {
    const result = await this.spend(
      this.updateCounter.query({ id, expected, next: matched + 1, now: this.clock() }),
      whenAccepted,
    );
    return result.numAffectedRows === 1n;
  }

  /**
   * Runs the conditional update that spends a code: committed (with its turn's, when grouped)
   * before it resolves. When grouped, `whenAccepted` is stored in the same transaction if the
   * code is spent, and marked stored ({@link WriteBatch.stored}); otherwise it is left to the
   * caller.
   */
  private spend(query: CompiledQuery, whenAccepted?: WriteBatch): Promise<QueryResult<unknown>> {
    return this.commits ? this.commits.run(query, whenAccepted) : this.db.executeQuery(query);
  }

  /** Counts a failed verification; at `lockAfter` consecutive failures the token locks until `lockedUntil`. */
  async recordFailure(id: string, lockAfter: number, lockedUntil: number): Promise<{ failures: number }> {
    const now = this.clock();
    const row = await this.db
      .updateTable('tokens')
      .set({
        failures: sql`failures + 1`,
        last_failure_at: now,
        locked_until: sql`case when failures + 1 >= ${lockAfter} then ${lockedUntil} else locked_until end`,
      })
      .where('id', '=', id)
      .returning('failures')
      .executeTakeFirst();
    return { failures: Number(row?.failures ?? 0) };
  }

  /** Records a successful use that needs no moving factor (passcodes, backup codes). */
  async recordSuccess(id: string): Promise<void> {
    await this.db
      .updateTable('tokens')
      .set({ failures: 0, last_failure_at: null, last_used_at: this.clock() })
      .where('id', '=', id)
      .execute();
  }

  /** Clears failures and any lock (administrator action). */
  async unlock(id: string): Promise<boolean> {
    return this.update(id, { failures: 0, last_failure_at: null, locked_until: null });
  }

  /** Sets the HOTP counter or the TOTP drift after a resynchronisation. */
  async resynchronise(
    id: string,
    state: { counter?: number; drift?: number; lastStep?: number },
  ): Promise<boolean> {
    return this.update(id, {
      ...(state.counter !== undefined ? { counter: state.counter } : {}),
      ...(state.drift !== undefined ? { drift: state.drift } : {}),
      ...(state.lastStep !== undefined ? { last_step: state.lastStep } : {}),
      failures: 0,
      last_failure_at: null,
      locked_until: null,
    });
  }

  /** Sets a channel token's own destination (a number the user confirmed), which wins over the directory's. */
  async setDestination(id: string, destination: string): Promise<boolean> {
    return this.update(id, { destination });
  }

  /** Activates a pending token (enrolment confirmed) or disables one. */
  async setStatus(id: string, status: TokenStatus): Promise<boolean> {
    return this.update(id, { status });
  }

  async remove(id: string): Promise<boolean> {
    const result = await this.db.deleteFrom('tokens').where('id', '=', id).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  private async update(id: string, values: Partial<Omit<TokenRow, 'id'>>): Promise<boolean> {
    const result = await this.db
      .updateTable('tokens')
      .set({ ...values, updated_at: this.clock() })
      .where('id', '=', id)
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  private toRow(token: NewToken): TokenRow {
    const now = this.clock();
    return {
      id: token.id,
      user_id: token.userId,
      type: token.type,
      serial: token.serial ?? null,
      description: token.description ?? null,
      hardware: token.hardware ? 1 : 0,
      algorithm: token.algorithm ?? null,
      digits: token.digits ?? null,
      period: token.period ?? null,
      counter: token.counter ?? 0,
      drift: 0,
      last_step: null,
      secret: token.secret ? this.box.seal(Buffer.from(token.secret), secretContext(token.id)) : null,
      destination: token.destination ?? null,
      status: token.status ?? 'active',
      failures: 0,
      last_failure_at: null,
      locked_until: null,
      token_policy: token.tokenPolicy ?? null,
      created_at: now,
      updated_at: now,
      last_used_at: null,
    };
  }
}

/** Associated data binding a sealed secret to its token. */
function secretContext(id: string): string {
  return `token-secret:${id}`;
}

function toToken(row: Selectable<TokenRow>): Token {
  return {
    id: row.id,
    userId: row.user_id,
    type: row.type,
    serial: row.serial,
    description: row.description,
    hardware: row.hardware === 1,
    algorithm: row.algorithm,
    digits: row.digits,
    period: row.period,
    counter: Number(row.counter),
    drift: row.drift,
    lastStep: row.last_step === null ? null : Number(row.last_step),
    destination: row.destination,
    status: row.status as TokenStatus,
    failures: row.failures,
    lastFailureAt: row.last_failure_at,
    lockedUntil: row.locked_until,
    tokenPolicy: row.token_policy,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
  };
}
