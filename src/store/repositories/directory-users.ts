import { type Kysely, type Selectable, sql } from 'kysely';
import type { Clock } from '../../clock.js';
import type { Tables, UserRow } from '../tables.js';
import { isUniqueViolation } from '../unique-violation.js';
import { insertSearchTerms, replaceSearchTerms } from './search-terms.js';
import { differs, directoryValues, newDirectoryRow, normalizeUsername, toUser } from './user-rows.js';
import type { DirectoryUser, UpsertOutcome, User } from './users.js';

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

/**
 * Persistence of directory synchronisation: batches of directory users matched by their stable
 * external id, removal marks for users out of scope, and the look-ups a run needs. Local users
 * and sign-in are UsersRepository's (users.ts).
 */
export class DirectoryUsersRepository {
  constructor(
    private readonly db: Kysely<Tables>,
    private readonly clock: Clock,
  ) {}

  /** The user with this stable id in the external directory (AD: objectGUID as a UUID). */
  async findByExternalId(externalId: string): Promise<User | undefined> {
    const row = await this.db
      .selectFrom('users')
      .selectAll()
      .where('external_id', '=', externalId)
      .executeTakeFirst();
    return row && toUser(row);
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
    const changedRows: Selectable<UserRow>[] = [];
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
        changedRows.push({ ...existing, ...values });
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
    await insertSearchTerms(trx, inserts);
    await replaceSearchTerms(trx, changedRows);
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
  async releaseRemovedName(name: string, source: string): Promise<boolean> {
    const owner = await this.db
      .selectFrom('users')
      .selectAll()
      .where('username', '=', normalizeUsername(name))
      .executeTakeFirst();
    if (!owner || owner.source !== source || owner.removed_at === null) return false;
    const username = `${owner.username}~${owner.id}`;
    await this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('users')
        .set({ username, updated_at: this.clock() })
        .where('id', '=', owner.id)
        .execute();
      await replaceSearchTerms(trx, [{ ...owner, username }]);
    });
    return true;
  }
}

/** A LIKE pattern that matches `text` literally (escape character: backslash). */
function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
