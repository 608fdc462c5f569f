import { randomUUID } from 'node:crypto';
import { type Kysely, type Selectable, sql } from 'kysely';
import type { Clock } from '../../clock.js';
import { StoreErrors } from '../errors.js';
import type { Tables, UserRow } from '../tables.js';
import { isUniqueViolation } from '../unique-violation.js';

/** A user as the rest of Passgate sees it (never with a password hash). */
export interface User {
  id: string;
  username: string;
  displayName: string | null;
  email: string | null;
  mobile: string | null;
  groups: string[];
  disabled: boolean;
  source: string;
  createdAt: number;
  updatedAt: number;
  /** Stable id in the external directory (AD: objectGUID as a UUID); null for local users. */
  externalId: string | null;
  dn: string | null;
  /** Mapped directory attributes (userPrincipalName, immutableId, preferredLanguage ...). */
  attributes: Record<string, unknown>;
  syncedAt: number | null;
  /** Set when the directory no longer has the user in scope; sign-ins stop, tokens are kept. */
  removedAt: number | null;
}

/** A user as an external directory describes them (AD sign-in or synchronisation). */
export interface DirectoryUser {
  externalId: string;
  username: string;
  dn: string;
  displayName: string | null;
  email: string | null;
  mobile: string | null;
  groups: string[];
  disabled: boolean;
  attributes: Record<string, unknown>;
}

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

/** Lower-cases and trims a login name, the one canonical form used for lookups. */
export function normalizeUsername(username: string): string {
  return username.normalize('NFKC').trim().toLowerCase();
}

/** Persistence of users. */
export class UsersRepository {
  constructor(
    private readonly db: Kysely<Tables>,
    private readonly clock: Clock,
  ) {}

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
      await this.db.insertInto('users').values(row).execute();
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw StoreErrors.CONFLICT({ detail: `user "${row.username}" already exists`, cause: error });
      }
      throw error;
    }
    return toUser(row);
  }

  async findById(id: string): Promise<User | undefined> {
    const row = await this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
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

  async findByExternalId(externalId: string): Promise<User | undefined> {
    const row = await this.db
      .selectFrom('users')
      .selectAll()
      .where('external_id', '=', externalId)
      .executeTakeFirst();
    return row && toUser(row);
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
        await this.db.insertInto('users').values(row).execute();
        return { user: toUser(row), outcome: 'created' };
      }
      const changed = differs(existing, values);
      const row = { ...existing, ...values, synced_at: now, ...(changed ? { updated_at: now } : {}) };
      await this.db
        .updateTable('users')
        .set({ ...values, synced_at: now, updated_at: row.updated_at })
        .where('id', '=', existing.id)
        .execute();
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

  /**
   * Creates or refreshes a batch of directory users (a page of a synchronisation) in one
   * transaction: one query finds the ones already known, new ones go in with one insert, and the
   * unchanged ones only get their synchronisation time. A user back in scope loses the removal
   * mark. Users whose name belongs to another user come back as `conflict`, untouched; the
   * others are stored all the same.
   */
  async syncFromDirectory(users: readonly DirectoryUser[], source: string): Promise<SyncedUser[]> {
    try {
      return await this.db.transaction().execute((trx) => this.syncBatch(trx, users, source));
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
    }
    // A name taken by someone else (or a rename racing a sign-in): one by one, to find which.
    const results: SyncedUser[] = [];
    for (const user of users) {
      try {
        results.push(...(await this.db.transaction().execute((trx) => this.syncBatch(trx, [user], source))));
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        const before = await this.findByExternalId(user.externalId);
        results.push({
          externalId: user.externalId,
          outcome: 'conflict',
          wasDisabled: before?.disabled ?? null,
        });
      }
    }
    return results;
  }

  private async syncBatch(
    trx: Kysely<Tables>,
    users: readonly DirectoryUser[],
    source: string,
  ): Promise<SyncedUser[]> {
    const now = this.clock();
    const known = new Map<string, Selectable<UserRow>>();
    for (const ids of chunks(
      users.map((u) => u.externalId),
      CHUNK,
    )) {
      for (const row of await trx.selectFrom('users').selectAll().where('external_id', 'in', ids).execute())
        known.set(row.external_id!, row);
    }
    const results: SyncedUser[] = [];
    const inserts: Selectable<UserRow>[] = [];
    const unchanged: string[] = [];
    for (const user of users) {
      const values = directoryValues(user, source);
      const existing = known.get(user.externalId);
      if (!existing) {
        inserts.push(newDirectoryRow(values, user.externalId, now));
        results.push({ externalId: user.externalId, outcome: 'created', wasDisabled: null });
        continue;
      }
      const changed = existing.removed_at !== null || differs(existing, values);
      if (changed) {
        await trx
          .updateTable('users')
          .set({ ...values, synced_at: now, removed_at: null, updated_at: now })
          .where('id', '=', existing.id)
          .execute();
      } else unchanged.push(existing.id);
      results.push({
        externalId: user.externalId,
        outcome: changed ? 'updated' : 'unchanged',
        wasDisabled: existing.disabled === 1,
      });
    }
    for (const ids of chunks(unchanged, CHUNK))
      await trx.updateTable('users').set({ synced_at: now }).where('id', 'in', ids).execute();
    for (const rows of chunks(inserts, INSERT_CHUNK)) await trx.insertInto('users').values(rows).execute();
    return results;
  }

  /**
   * External ids of the directory users of `source` not marked removed (a full synchronisation
   * marks the ones it does not find).
   */
  async activeExternalIds(source: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('users')
      .select('external_id')
      .where('source', '=', source)
      .where('removed_at', 'is', null)
      .where('external_id', 'is not', null)
      .execute();
    return rows.map((r) => r.external_id!);
  }

  /**
   * External ids of the directory users of `source` whose groups include one of `names` (perhaps
   * a few more: the match is on the JSON text), to re-read after membership changes.
   */
  async inGroups(source: string, names: readonly string[]): Promise<string[]> {
    const found = new Set<string>();
    for (const part of chunks(names, CHUNK)) {
      const rows = await this.db
        .selectFrom('users')
        .select('external_id')
        .where('source', '=', source)
        .where('external_id', 'is not', null)
        .where((eb) =>
          eb.or(
            part.map(
              // PostgreSQL's LIKE takes a backslash as an escape by default, SQLite's not: say it.
              (name) =>
                sql<boolean>`${eb.ref('groups')} like ${`%${escapeLike(JSON.stringify(name))}%`} escape '\\'`,
            ),
          ),
        )
        .execute();
      for (const row of rows) found.add(row.external_id!);
    }
    return [...found];
  }

  /** Marks directory users removed by their external ids; returns how many were not marked yet. */
  async markRemovedMany(externalIds: readonly string[]): Promise<number> {
    let marked = 0;
    const now = this.clock();
    for (const ids of chunks(externalIds, CHUNK)) {
      const result = await this.db
        .updateTable('users')
        .set({ removed_at: now, updated_at: now })
        .where('external_id', 'in', ids)
        .where('removed_at', 'is', null)
        .executeTakeFirst();
      marked += Number(result.numUpdatedRows);
    }
    return marked;
  }

  /**
   * Gives the name of a user marked removed back (renamed `name~id`), so that a new directory
   * account with the same name can have it; returns false when the name's owner is not such a user.
   */
  async releaseRemovedName(username: string, source: string): Promise<boolean> {
    const owner = await this.selectByUsername(username);
    if (!owner || owner.source !== source || owner.removed_at === null) return false;
    await this.db
      .updateTable('users')
      .set({ username: `${owner.username}~${owner.id}`, updated_at: this.clock() })
      .where('id', '=', owner.id)
      .execute();
    return true;
  }

  async setPasswordHash(id: string, passwordHash: string): Promise<void> {
    await this.db
      .updateTable('users')
      .set({ password_hash: passwordHash, updated_at: this.clock() })
      .where('id', '=', id)
      .execute();
  }

  private selectByUsername(username: string): Promise<Selectable<UserRow> | undefined> {
    return this.db
      .selectFrom('users')
      .selectAll()
      .where('username', '=', normalizeUsername(username))
      .executeTakeFirst();
  }
}

function toUser(row: Selectable<UserRow>): User {
  return {
    id: row.id,
    username: row.username,
    displayName: row.display_name,
    email: row.email,
    mobile: row.mobile,
    groups: JSON.parse(row.groups) as string[],
    disabled: row.disabled === 1,
    source: row.source,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    externalId: row.external_id,
    dn: row.dn,
    attributes: JSON.parse(row.attributes) as Record<string, unknown>,
    syncedAt: row.synced_at,
    removedAt: row.removed_at,
  };
}

/** What a synchronisation batch did to one directory user. */
export interface SyncedUser {
  externalId: string;
  /** `conflict`: the user name belongs to another user; nothing was stored. */
  outcome: UpsertOutcome | 'conflict';
  /** Whether the user was disabled before; null for a new user. */
  wasDisabled: boolean | null;
}

/** Rows per `in (...)` list and per multi-row insert (16 columns): well under both engines' limits. */
const CHUNK = 500;
const INSERT_CHUNK = 200;

/** A LIKE pattern that matches `text` literally (escape character: backslash). */
function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The row of a directory user seen for the first time. */
function newDirectoryRow(
  values: ReturnType<typeof directoryValues>,
  externalId: string,
  now: number,
): Selectable<UserRow> {
  return {
    ...values,
    id: randomUUID(),
    password_hash: null,
    created_at: now,
    updated_at: now,
    external_id: externalId,
    synced_at: now,
    removed_at: null,
  };
}

/** The columns a directory describes. */
function directoryValues(user: DirectoryUser, source: string) {
  return {
    username: normalizeUsername(user.username),
    display_name: user.displayName,
    email: user.email,
    mobile: user.mobile,
    groups: JSON.stringify(user.groups),
    disabled: user.disabled ? 1 : 0,
    dn: user.dn,
    attributes: JSON.stringify(user.attributes),
    source,
  };
}

function differs(row: Selectable<UserRow>, values: ReturnType<typeof directoryValues>): boolean {
  return (Object.keys(values) as Array<keyof typeof values>).some((key) => row[key] !== values[key]);
}
