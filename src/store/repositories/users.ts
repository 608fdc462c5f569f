import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { Clock } from '../../clock.js';
import { StoreErrors } from '../errors.js';
import { preparedQuery } from '../prepared-query.js';
import type { Tables, UserRow } from '../tables.js';
import { isUniqueViolation } from '../unique-violation.js';
import { insertSearchTerms, replaceSearchTerms } from './search-terms.js';
import type { DirectoryUser, User } from './user.js';
import { differs, directoryValues, newDirectoryRow, normalizeUsername, toUser } from './user-rows.js';

export type { DirectoryUser, User } from './user.js';

/** What an upsert of a directory user did. */
export type UpsertOutcome = 'created' | 'updated' | 'unchanged';

/** Fields to create a user with. */
export interface NewUser {
  username: string;
  displayName?: string | null;
  email?: string | null;
  mobile?: string | null;
  groups?: string[];
  disabled?: boolean;
  passwordHash?: string | null;
  source?: string;
}

export { normalizeUsername } from './user-rows.js';

/**
 * Persistence of users: local users, and directory users as sign-in sees them. Batch
 * synchronisation is DirectoryUsersRepository's (directory-users.ts).
 */
export class UsersRepository {
  constructor(
    private readonly db: Kysely<Tables>,
    private readonly clock: Clock,
  ) {}

  /** Every sign-in reads its user by id or by name: built once (see preparedQuery). */
  private readonly selectById = preparedQuery(
    () => this.db,
    ['id'],
    ({ id }) => this.db.selectFrom('users').selectAll().where('id', '=', id),
  );
  private readonly selectByName = preparedQuery(
    () => this.db,
    ['username'],
    ({ username }) => this.db.selectFrom('users').selectAll().where('username', '=', username),
  );

  /** Creates a user; raises CONFLICT when the user name is taken. */
  async create(input: NewUser): Promise<User> {
    const now = this.clock();
    const row: Selectable<UserRow> = {
      id: randomUUID(),
      username: normalizeUsername(input.username),
      display_name: input.displayName ?? null,
      email: input.email ?? null,
      mobile: input.mobile ?? null,
      groups: JSON.stringify(input.groups ?? []),
      disabled: input.disabled ? 1 : 0,
      password_hash: input.passwordHash ?? null,
      source: input.source ?? 'local',
      created_at: now,
      updated_at: now,
      external_id: null,
      dn: null,
      attributes: '{}',
      synced_at: null,
      removed_at: null,
    };
    try {
      await this.db.transaction().execute(async (trx) => {
        await trx.insertInto('users').values(row).execute();
        await insertSearchTerms(trx, [row]);
      });
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw StoreErrors.CONFLICT({ detail: `user "${row.username}" already exists`, cause: error });
      }
      throw error;
    }
    return toUser(row);
  }

  async findById(id: string): Promise<User | undefined> {
    const [row] = (await this.selectById({ id })).rows;
    return row && toUser(row);
  }

  async findByUsername(username: string): Promise<User | undefined> {
    const row = await this.selectByUsername(username);
    return row && toUser(row);
  }

  /** The user with their password hash, for the local directory only. */
  async findCredentials(username: string): Promise<{ user: User; passwordHash: string | null } | undefined> {
    const row = await this.selectByUsername(username);
    return row && { user: toUser(row), passwordHash: row.password_hash };
  }

  /** Users ordered by name, a page at a time. */
  async list(options: { limit?: number; offset?: number } = {}): Promise<User[]> {
    const rows = await this.db
      .selectFrom('users')
      .selectAll()
      .orderBy('username')
      .limit(options.limit ?? 100)
      .offset(options.offset ?? 0)
      .execute();
    return rows.map(toUser);
  }

  /** Every group name some current user belongs to, lower-cased (to validate policies). */
  async groupNames(): Promise<Set<string>> {
    const rows = await this.db
      .selectFrom('users')
      .select('groups')
      .distinct()
      .where('removed_at', 'is', null)
      .execute();
    return new Set(rows.flatMap((row) => (JSON.parse(row.groups) as string[]).map((g) => g.toLowerCase())));
  }

  async count(): Promise<number> {
    const { n } = await this.db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(n);
  }

  /** Enables or disables a user; raises NOT_FOUND for an unknown name. */
  async setDisabled(username: string, disabled: boolean): Promise<User> {
    const result = await this.db
      .updateTable('users')
      .set({ disabled: disabled ? 1 : 0, updated_at: this.clock() })
      .where('username', '=', normalizeUsername(username))
      .executeTakeFirst();
    if (result.numUpdatedRows === 0n) throw StoreErrors.NOT_FOUND({ detail: `no user "${username}"` });
    return (await this.findByUsername(username))!;
  }

  /**
   * Creates or refreshes a user from the external directory at sign-in, matched by its stable id
   * (so a renamed account keeps its Passgate id, tokens and history). A removal mark stays: only
   * synchronisation, which knows the scope, decides that a user is back (see syncFromDirectory).
   * Raises CONFLICT when the name belongs to another (local) user.
   */
  async upsertFromDirectory(
    user: DirectoryUser,
    source: string,
  ): Promise<{ user: User; outcome: UpsertOutcome }> {
    const now = this.clock();
    const values = directoryValues(user, source);
    const existing = await this.db
      .selectFrom('users')
      .selectAll()
      .where('external_id', '=', user.externalId)
      .executeTakeFirst();
    try {
      if (!existing) {
        const row = newDirectoryRow(values, user.externalId, now);
        await this.db.transaction().execute(async (trx) => {
          await trx.insertInto('users').values(row).execute();
          await insertSearchTerms(trx, [row]);
        });
        return { user: toUser(row), outcome: 'created' };
      }
      const changed = differs(existing, values);
      const row = { ...existing, ...values, synced_at: now, ...(changed ? { updated_at: now } : {}) };
      const update = (db: Kysely<Tables>) =>
        db
          .updateTable('users')
          .set({ ...values, synced_at: now, updated_at: row.updated_at })
          .where('id', '=', existing.id)
          .execute();
      if (changed)
        await this.db.transaction().execute(async (trx) => {
          await update(trx);
          await replaceSearchTerms(trx, [row]);
        });
      else await update(this.db);
      return { user: toUser(row), outcome: changed ? 'updated' : 'unchanged' };
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw StoreErrors.CONFLICT({
          detail: `user name "${values.username}" is taken by another user`,
          cause: error,
        });
      }
      throw error;
    }
  }

  async setPasswordHash(id: string, passwordHash: string): Promise<void> {
    await this.db
      .updateTable('users')
      .set({ password_hash: passwordHash, updated_at: this.clock() })
      .where('id', '=', id)
      .execute();
  }

  /**
   * Marks that a user's password changed outside the store (a reset in the directory through
   * Passgate): the row's version (`updatedAt`) moves on, so what was checked against the old
   * password (the ActiveSync door's cached passwords, in every process) no longer holds.
   */
  async markPasswordChanged(id: string): Promise<void> {
    const now = this.clock();
    await this.db
      .updateTable('users')
      .set((eb) => ({
        updated_at: eb
          .case()
          .when('updated_at', '>=', now)
          .then(eb('updated_at', '+', 1))
          .else(now)
          .end(),
      }))
      .where('id', '=', id)
      .execute();
  }

  private async selectByUsername(username: string): Promise<Selectable<UserRow> | undefined> {
    return (await this.selectByName({ username: normalizeUsername(username) })).rows[0];
  }
}
