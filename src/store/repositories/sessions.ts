import type { ExpressionBuilder, Kysely, Selectable } from 'kysely';
import { preparedQuery } from '../prepared-query.js';
import type { SessionApplicationRow, SessionRow, Tables, UserRow } from '../tables.js';
import type { WriteBatch } from '../write-batch.js';
import type { User } from './user.js';
import { toUser } from './user-rows.js';

/** A single sign-on session as stored. */
export type SessionRecord = Selectable<SessionRow>;

/** An application a session signed in to, as stored. */
export type SessionApplicationRecord = Selectable<SessionApplicationRow>;

/** What the application of a session records about itself (times are the repository's). */
export type SessionApplicationInput = Omit<SessionApplicationRecord, 'first_at' | 'last_at'>;

/** Every column of a session's row (a record, so that a column added to the table must be named here). */
const SESSION_COLUMNS = Object.keys({
  id: true,
  secret_hash: true,
  user_id: true,
  auth_time: true,
  amr: true,
  acr: true,
  mfa_at: true,
  address: true,
  country: true,
  device: true,
  created_at: true,
  last_seen_at: true,
  expires_at: true,
  revoked_at: true,
  revoked_reason: true,
} satisfies Record<keyof SessionRecord, true>) as Array<keyof SessionRecord>;

/** The user's columns a session is read with (not the password hash): what `toUser` needs. */
const USER_COLUMNS = Object.keys({
  id: true,
  username: true,
  display_name: true,
  email: true,
  mobile: true,
  groups: true,
  disabled: true,
  source: true,
  created_at: true,
  updated_at: true,
  external_id: true,
  dn: true,
  attributes: true,
  synced_at: true,
  removed_at: true,
} satisfies Record<Exclude<keyof Selectable<UserRow>, 'password_hash'>, true>) as Array<
  Exclude<keyof Selectable<UserRow>, 'password_hash'>
>;

/** The prefix of the user's columns in a session read with its user. */
const USER_PREFIX = 'user__';

/** How long a session lives, from the configuration. */
export interface SessionLifetimes {
  /** A session not used for this long is over. */
  idleMs: number;
}

/**
 * Single sign-on sessions and the applications each signed in to, shared by every server
 * process: the store is the truth, so a revocation on one process holds on all of them at the
 * next request. A session is live while not revoked, before its absolute end and used within
 * the idle time.
 */
export class SessionsRepository {
  constructor(private readonly db: Kysely<Tables>) {}

  /** Every single sign-on request finds its session: built once (see preparedQuery). */
  private readonly selectLive = preparedQuery(
    () => this.db,
    ['secretHash', 'now', 'seenSince'],
    ({ secretHash, now, seenSince }) =>
      this.db
        .selectFrom('sessions')
        .selectAll()
        .where('secret_hash', '=', secretHash)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', now)
        .where('last_seen_at', '>', seenSince),
  );

  /**
   * Every single sign-on answer finds its session and reads its user again (disabled or removed
   * since?): one statement for both, built once (see preparedQuery). A left join: a session whose
   * user is gone is still found (and then ended by its reader).
   */
  private readonly selectLiveWithUser = preparedQuery(
    () => this.db,
    ['secretHash', 'now', 'seenSince'],
    ({ secretHash, now, seenSince }) =>
      this.db
        .selectFrom('sessions')
        .leftJoin('users', 'users.id', 'sessions.user_id')
        .selectAll('sessions')
        .select((eb) => USER_COLUMNS.map((column) => eb.ref(`users.${column}`).as(`${USER_PREFIX}${column}`)))
        .where('sessions.secret_hash', '=', secretHash)
        .where('sessions.revoked_at', 'is', null)
        .where('sessions.expires_at', '>', now)
        .where('sessions.last_seen_at', '>', seenSince),
  );

  /** Every answer to an application records it in the session: built once (see preparedQuery). */
  private readonly upsertApplication = preparedQuery(
    () => this.db,
    ['session_id', 'door', 'application', 'name_id', 'name_id_format', 'session_index', 'sid', 'now'],
    (a) =>
      this.db
        .insertInto('session_applications')
        .values({
          session_id: a.session_id,
          door: a.door,
          application: a.application,
          name_id: a.name_id,
          name_id_format: a.name_id_format,
          session_index: a.session_index,
          sid: a.sid,
          first_at: a.now,
          last_at: a.now,
        })
        .onConflict((oc) =>
          oc.columns(['session_id', 'door', 'application']).doUpdateSet({
            name_id: a.name_id,
            name_id_format: a.name_id_format,
            session_index: a.session_index,
            sid: a.sid,
            last_at: a.now,
          }),
        ),
  );

  /** Every sign-in starts a session: built once (see preparedQuery). */
  private readonly insertSession = preparedQuery(
    () => this.db,
    SESSION_COLUMNS,
    (row) => this.db.insertInto('sessions').values(row),
  );

  /** Stores a new session. */
  async create(row: SessionRecord): Promise<void> {
    await this.insertSession(row);
  }

  /** Adds a new session to a batch of writes (stored when the batch is committed). */
  createIn(batch: WriteBatch, row: SessionRecord): void {
    batch.add(this.db, this.insertSession.query(row));
  }

  /** The live session whose cookie hashes to `secretHash`, or undefined. One indexed read. */
  async findLive(
    secretHash: string,
    now: number,
    lifetimes: SessionLifetimes,
  ): Promise<SessionRecord | undefined> {
    const { rows } = await this.selectLive({ secretHash, now, seenSince: now - lifetimes.idleMs });
    return rows[0];
  }

  /**
   * The live session whose cookie hashes to `secretHash` and its user as stored now (undefined
   * when the user is gone), or undefined. One indexed read.
   */
  async findLiveWithUser(
    secretHash: string,
    now: number,
    lifetimes: SessionLifetimes,
  ): Promise<{ session: SessionRecord; user: User | undefined } | undefined> {
    const { rows } = await this.selectLiveWithUser({ secretHash, now, seenSince: now - lifetimes.idleMs });
    const row = rows[0] as Record<string, unknown> | undefined;
    if (!row) return undefined;
    const session = Object.fromEntries(SESSION_COLUMNS.map((column) => [column, row[column]]));
    const user = Object.fromEntries(USER_COLUMNS.map((column) => [column, row[`${USER_PREFIX}${column}`]]));
    return {
      session: session as SessionRecord,
      user:
        user.id === null || user.id === undefined ? undefined : toUser(user as Parameters<typeof toUser>[0]),
    };
  }

  /** The session `id` whatever its state (lists, revocation), or undefined. */
  async findById(id: string): Promise<SessionRecord | undefined> {
    return this.db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** The session `id` while it is live, or undefined (over, revoked, pruned). */
  async findLiveById(
    id: string,
    now: number,
    lifetimes: SessionLifetimes,
  ): Promise<SessionRecord | undefined> {
    return this.db
      .selectFrom('sessions')
      .selectAll()
      .where('id', '=', id)
      .where((eb) => live(eb, now, lifetimes))
      .executeTakeFirst();
  }

  /** The user's live sessions, newest first. */
  async liveOfUser(userId: string, now: number, lifetimes: SessionLifetimes): Promise<SessionRecord[]> {
    return this.db
      .selectFrom('sessions')
      .selectAll()
      .where('user_id', '=', userId)
      .where((eb) => live(eb, now, lifetimes))
      .orderBy('created_at', 'desc')
      .execute();
  }

  /** Live sessions, newest first: of one user, or of everyone (at most `limit`), with their user names. */
  async live(
    now: number,
    lifetimes: SessionLifetimes,
    filter: { userId?: string; limit: number },
  ): Promise<Array<SessionRecord & { username: string }>> {
    let query = this.db
      .selectFrom('sessions')
      .innerJoin('users', 'users.id', 'sessions.user_id')
      .selectAll('sessions')
      .select('users.username')
      .where((eb) => live(eb, now, lifetimes));
    if (filter.userId !== undefined) query = query.where('sessions.user_id', '=', filter.userId);
    return query.orderBy('sessions.created_at', 'desc').limit(filter.limit).execute();
  }

  /** The applications of several sessions, in the order each first signed in to them. */
  async applicationsOf(sessionIds: readonly string[]): Promise<SessionApplicationRecord[]> {
    if (sessionIds.length === 0) return [];
    return this.db
      .selectFrom('session_applications')
      .selectAll()
      .where('session_id', 'in', sessionIds)
      .orderBy('first_at')
      .orderBy('door')
      .orderBy('application')
      .execute();
  }

  /**
   * Users with a session not yet revoked whose account is disabled or marked removed (an admin
   * or a directory sync changed it): what ends their sessions.
   */
  async usersToEnd(): Promise<Array<{ userId: string; username: string; removed: boolean }>> {
    const rows = await this.db
      .selectFrom('sessions')
      .innerJoin('users', 'users.id', 'sessions.user_id')
      .select(['users.id', 'users.username', 'users.removed_at'])
      .distinct()
      .where('sessions.revoked_at', 'is', null)
      .where((eb) => eb.or([eb('users.disabled', '=', 1), eb('users.removed_at', 'is not', null)]))
      .execute();
    return rows.map((row) => ({ userId: row.id, username: row.username, removed: row.removed_at !== null }));
  }

  /** Records a use of the session (its idle time starts again). */
  async touch(id: string, now: number): Promise<void> {
    await this.db.executeQuery(this.touchQuery(id, now));
  }

  /** {@link touch} as one of a batch's writes (stored when the batch is committed). */
  touchIn(batch: WriteBatch, id: string, now: number): void {
    batch.add(this.db, this.touchQuery(id, now));
  }

  private touchQuery(id: string, now: number) {
    return this.db
      .updateTable('sessions')
      .set({ last_seen_at: now })
      .where('id', '=', id)
      .where('last_seen_at', '<', now)
      .compile();
  }

  /** Gives a live session the hash of the browser's new id (and a use): the old id finds nothing any more. */
  async rotate(id: string, secretHash: string, now: number): Promise<void> {
    await this.db
      .updateTable('sessions')
      .set({ secret_hash: secretHash, last_seen_at: now })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .execute();
  }

  /**
   * Records a later proof in the session (a second factor, the password again): the methods, the
   * assurance and their times, a use, and the hash of the browser's new id when it was rotated.
   */
  async prove(
    id: string,
    change: Pick<SessionRecord, 'amr' | 'acr' | 'mfa_at' | 'auth_time' | 'last_seen_at'> &
      Partial<Pick<SessionRecord, 'secret_hash'>>,
  ): Promise<void> {
    await this.db.updateTable('sessions').set(change).where('id', '=', id).execute();
  }

  /**
   * Records that the session signed in to an application, or signed in to it again (the latest
   * NameID, SessionIndex or sid replace the earlier ones).
   */
  async recordApplication(application: SessionApplicationInput, now: number): Promise<void> {
    await this.upsertApplication({ ...application, now });
  }

  /** {@link recordApplication} as one of a batch's writes (stored when the batch is committed). */
  recordApplicationIn(batch: WriteBatch, application: SessionApplicationInput, now: number): void {
    batch.add(this.db, this.upsertApplication.query({ ...application, now }));
  }

  /** The applications the session signed in to, in the order it first did. */
  async applications(sessionId: string): Promise<SessionApplicationRecord[]> {
    return this.db
      .selectFrom('session_applications')
      .selectAll()
      .where('session_id', '=', sessionId)
      .orderBy('first_at')
      .orderBy('door')
      .orderBy('application')
      .execute();
  }

  /**
   * The live session that told `application` (of `door`) one of these SAML SessionIndexes, or
   * undefined: how a LogoutRequest, which arrives cross-site without the cookie, finds its session.
   */
  async findLiveByApplication(
    door: string,
    application: string,
    sessionIndexes: string[],
    now: number,
    lifetimes: SessionLifetimes,
  ): Promise<SessionRecord | undefined> {
    if (sessionIndexes.length === 0) return undefined;
    const ids = this.db
      .selectFrom('session_applications')
      .select('session_id')
      .where('door', '=', door)
      .where('application', '=', application)
      .where('session_index', 'in', sessionIndexes);
    return this.db
      .selectFrom('sessions')
      .selectAll()
      .where('id', 'in', ids)
      .where((eb) => live(eb, now, lifetimes))
      .executeTakeFirst();
  }

  /** Ends the session; false when it was already revoked or does not exist. */
  async revoke(id: string, now: number, reason: string): Promise<boolean> {
    const result = await this.db
      .updateTable('sessions')
      .set({ revoked_at: now, revoked_reason: reason })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Ends every session of the user not yet revoked; the ids ended. */
  async revokeUser(userId: string, now: number, reason: string): Promise<string[]> {
    const rows = await this.db
      .updateTable('sessions')
      .set({ revoked_at: now, revoked_reason: reason })
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .returning('id')
      .execute();
    return rows.map((row) => row.id);
  }

  /**
   * Deletes the sessions over before `olderThan` (absolute end, idle time or revocation) and
   * their applications; how many sessions.
   */
  async prune(olderThan: number, lifetimes: SessionLifetimes): Promise<number> {
    const over = (eb: ExpressionBuilder<Tables, 'sessions'>) =>
      eb.or([
        eb('expires_at', '<=', olderThan),
        eb('last_seen_at', '<=', olderThan - lifetimes.idleMs),
        eb('revoked_at', '<=', olderThan),
      ]);
    return this.db.transaction().execute(async (trx) => {
      await trx
        .deleteFrom('session_applications')
        .where('session_id', 'in', trx.selectFrom('sessions').select('id').where(over))
        .execute();
      const result = await trx.deleteFrom('sessions').where(over).executeTakeFirst();
      return Number(result.numDeletedRows);
    });
  }
}

/** The condition of a live session at `now`. */
function live(eb: ExpressionBuilder<Tables, 'sessions'>, now: number, lifetimes: SessionLifetimes) {
  return eb.and([
    eb('revoked_at', 'is', null),
    eb('expires_at', '>', now),
    eb('last_seen_at', '>', now - lifetimes.idleMs),
  ]);
}
