import { type Expression, type Kysely, type RawBuilder, type SqlBool, sql } from 'kysely';
import type { Clock } from '../../clock.js';
import { isPostgres } from '../dialect-of.js';
import { StoreErrors } from '../errors.js';
import type { Tables } from '../tables.js';
import { prefixUpperBound, searchWords } from './search-terms.js';
import type { User } from './user.js';
import { toUser } from './user-rows.js';

/** The columns the users grid sorts by (each has an index ending with the id, migration 0016). */
export const USER_SORT_COLUMNS = [
  'username',
  'displayName',
  'email',
  'mobile',
  'source',
  'status',
  'createdAt',
  'syncedAt',
] as const;
/** A column the users grid sorts by. */
export type UserSortColumn = (typeof USER_SORT_COLUMNS)[number];

/** Where a user stands: signs in, disabled by an administrator or the directory, or gone from the directory. */
export type UserStatus = 'enabled' | 'disabled' | 'removed';

/** The seat filters of the users grid. */
export const SEAT_FILTERS = ['mfa', 'reset', 'no-mfa', 'no-reset', 'none'] as const;
/** A seat filter: holds a seat of a pool, lacks one, or holds none. */
export type SeatFilter = (typeof SEAT_FILTERS)[number];

/** Which page of a search: the first, the one after or before a cursor of an earlier page, or the last. */
export type UserSearchPosition = 'first' | 'last' | { after: string } | { before: string };

/** A users-grid search: every filter is optional; words match the beginning of a user's terms. */
export interface UserSearch {
  /** The search box: each word must begin a word of the name, display name, e-mail, a group, or the mobile's digits. */
  text?: string;
  /** `local`, `ad` ... (users.source). */
  source?: string;
  status?: UserStatus;
  /** `any`: at least one active token; `none`: no active token. */
  factor?: 'any' | 'none';
  /** Only users with at least one token locked after failures. */
  lockedTokens?: boolean;
  /** Holders of an MFA or a reset seat, users lacking one, or users with no seat at all. */
  seat?: SeatFilter;
  sort?: UserSortColumn;
  descending?: boolean;
  /** Rows per page, 1 to 500 (default 50). */
  pageSize?: number;
  position?: UserSearchPosition;
}

/** A user as a grid row: the user and counts of their tokens. */
export interface UserListing extends User {
  /** Active tokens (second factors the user can sign in with). */
  factors: number;
  /** Tokens locked after failed codes, now. */
  lockedTokens: number;
  /** The seat pools the user holds a seat of (mfa, reset). */
  seats: string[];
}

/** One page of a users-grid search. */
export interface UserSearchPage {
  users: UserListing[];
  /** Users matching the search and filters, all pages together; at most {@link COUNT_LIMIT} when not `exact`. */
  total: number;
  /** False when more than COUNT_LIMIT users match (total is then COUNT_LIMIT: "1,000+"). */
  exact: boolean;
  /** Cursors for the neighbouring pages; null at either end. */
  next: string | null;
  previous: string | null;
}

const MAX_PAGE = 500;
/**
 * A filtered count stops here: counting every match of a broad filter costs a probe per user,
 * and "more than 1,000" says what an administrator needs (narrow the search). The count of
 * every user, unfiltered, is always exact.
 */
export const COUNT_LIMIT = 1_000;
/**
 * A set of users (a search word's, a seat pool's, the holders of a factor) at least this large
 * (a fifth of 100,000 users) is probed per user while the sort index is walked: a page fills
 * after a few rows, and so does the capped count. A smaller set drives the query from its
 * members, however selective the other filters are (probing would walk the whole index).
 */
const BROAD = 20_000;

/**
 * Search, filters, sort and keyset paging of the users grid over 100,000 users, the same on
 * SQLite and PostgreSQL. A page is read from the sort column's index after the cursor (the
 * previous page's last sort value and id), so any page costs what the first one does, and rows
 * added by a synchronisation do not shift the pages being read; offset paging reads and throws
 * away every row before the page. The search is a word-prefix range on user_search_terms.
 */
export class UserSearchRepository {
  constructor(
    private readonly db: Kysely<Tables>,
    private readonly clock: Clock,
  ) {}

  /** The page of users the search asks for, with the total count of matches. */
  async search(search: UserSearch): Promise<UserSearchPage> {
    const size = search.pageSize ?? 50;
    if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE)
      throw StoreErrors.USER_SEARCH_INVALID({ detail: `page size ${size} is not 1 to ${MAX_PAGE}` });
    const column = search.sort ?? 'username';
    if (!USER_SORT_COLUMNS.includes(column))
      throw StoreErrors.USER_SEARCH_INVALID({ detail: `unknown sort column "${column}"` });
    const keys = sortKeys(isPostgres(this.db));
    const key = keys[column];
    const position = search.position ?? 'first';
    const cursor = typeof position === 'object' ? decodeCursor(position, column) : null;
    // Reading backwards (before a cursor, or the last page) walks the index the other way.
    const backwards = position === 'last' || (typeof position === 'object' && 'before' in position);
    const descending = (search.descending ?? false) !== backwards;
    const direction = descending ? sql.raw('desc') : sql.raw('asc');
    const conditions = await this.conditions(search);

    let rows = this.db.selectFrom('users').selectAll().select(key.as('sort_key'));
    for (const condition of conditions) rows = rows.where(condition);
    if (cursor) {
      const comparison = sql.raw(descending ? '<' : '>');
      rows = rows.where(sql<SqlBool>`(${key}, ${keys.id}) ${comparison} (${cursor.value}, ${cursor.id})`);
    }
    const [found, total] = await Promise.all([
      rows
        .orderBy(sql`${key} ${direction}`)
        .orderBy(sql`${keys.id} ${direction}`)
        .limit(size + 1)
        .execute(),
      this.count(conditions),
    ]);
    const more = found.length > size;
    const page = found.slice(0, size);
    if (backwards) page.reverse();
    const cursorOf = (row: (typeof page)[number] | undefined) =>
      row ? encodeCursor(column, row.sort_key as string | number, row.id) : null;
    // Forwards: `more` says whether a next page exists; backwards, whether a previous one does.
    const hasNext = backwards ? position !== 'last' : more;
    const hasPrevious = backwards ? more : position !== 'first';
    return {
      users: await this.withTokenCounts(page.map(({ sort_key: _key, ...row }) => row)),
      total: conditions.length === 0 ? total : Math.min(total, COUNT_LIMIT),
      exact: conditions.length === 0 || total <= COUNT_LIMIT,
      next: hasNext ? cursorOf(page.at(-1)) : null,
      previous: hasPrevious ? cursorOf(page[0]) : null,
    };
  }

  /** Every user unfiltered, or up to COUNT_LIMIT + 1 matches (then the total is "more than"). */
  private async count(conditions: readonly Expression<SqlBool>[]): Promise<number> {
    if (conditions.length === 0) {
      const { n } = await this.db
        .selectFrom('users')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      return Number(n);
    }
    let matches = this.db.selectFrom('users').select(sql`1`.as('one'));
    for (const condition of conditions) matches = matches.where(condition);
    const { n } = await this.db
      .selectFrom(matches.limit(COUNT_LIMIT + 1).as('matches'))
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(n);
  }

  /** The WHERE conditions of a search's text and filters (shared by the page and the count). */
  private async conditions(search: UserSearch): Promise<Expression<SqlBool>[]> {
    const conditions: Expression<SqlBool>[] = [];
    for (const word of searchWords(search.text ?? '')) {
      const range = sql`term >= ${word} and term < ${prefixUpperBound(word)}`;
      conditions.push(
        await this.memberOf(
          sql`select user_id from user_search_terms where ${range}`,
          sql`select 1 from user_search_terms where user_search_terms.user_id = users.id and ${range}`,
        ),
      );
    }
    if (search.source !== undefined) conditions.push(sql<SqlBool>`users.source = ${search.source}`);
    if (search.status === 'removed') conditions.push(sql<SqlBool>`users.removed_at is not null`);
    else if (search.status !== undefined)
      conditions.push(
        sql<SqlBool>`users.removed_at is null and users.disabled = ${search.status === 'disabled' ? 1 : 0}`,
      );
    const activeToken = sql`select 1 from tokens where tokens.user_id = users.id and tokens.status = 'active'`;
    if (search.factor === 'any')
      conditions.push(
        await this.memberOf(sql`select user_id from tokens where status = 'active'`, activeToken),
      );
    if (search.factor === 'none') conditions.push(sql<SqlBool>`not exists (${activeToken})`);
    if (search.seat !== undefined) conditions.push(await this.seatCondition(search.seat));
    // Few tokens are locked at any time: the locked ones drive the query.
    if (search.lockedTokens)
      conditions.push(
        sql<SqlBool>`users.id in (select user_id from tokens where locked_until > ${this.clock()})`,
      );
    return conditions;
  }

  private async seatCondition(seat: SeatFilter): Promise<Expression<SqlBool>> {
    if (seat === 'none') return sql<SqlBool>`not exists (select 1 from seats where seats.user_id = users.id)`;
    const pool = seat.replace('no-', '');
    const held = sql`select 1 from seats where seats.user_id = users.id and seats.pool = ${pool}`;
    if (seat.startsWith('no-')) return sql<SqlBool>`not exists (${held})`;
    return this.memberOf(sql`select user_id from seats where pool = ${pool}`, held);
  }

  /**
   * Membership of a set of users (`ids` lists them, `probe` finds the current user in it), in the
   * form that is fast for its size: a large set is probed per user while the sort index is walked
   * (a page fills after a few rows); a small one drives the query (each member looked up by id).
   * The size is read once, stopped at BROAD (a covering index range); SQLite has no statistics
   * to decide this by itself.
   */
  private async memberOf(ids: RawBuilder<unknown>, probe: RawBuilder<unknown>): Promise<Expression<SqlBool>> {
    // PostgreSQL plans both forms alike (a semi-join) and sizes the set from its statistics.
    if (isPostgres(this.db)) return sql<SqlBool>`users.id in (${ids})`;
    const { rows } = await sql<{
      n: number;
    }>`select count(*) as n from (${ids} limit ${BROAD}) as members`.execute(this.db);
    return Number(rows[0]?.n ?? 0) >= BROAD
      ? sql<SqlBool>`exists (${probe})`
      : sql<SqlBool>`users.id in (${ids})`;
  }

  /** The page's users with their active and locked token counts (one grouped query for the page). */
  private async withTokenCounts(rows: Parameters<typeof toUser>[0][]): Promise<UserListing[]> {
    if (rows.length === 0) return [];
    const now = this.clock();
    const ids = rows.map((row) => row.id);
    const counts = await this.db
      .selectFrom('tokens')
      .select([
        'user_id',
        sql<number>`sum(case when status = 'active' then 1 else 0 end)`.as('factors'),
        sql<number>`sum(case when locked_until > ${now} then 1 else 0 end)`.as('locked'),
      ])
      .where('user_id', 'in', ids)
      .groupBy('user_id')
      .execute();
    const seats = await this.db
      .selectFrom('seats')
      .select(['user_id', 'pool'])
      .where('user_id', 'in', ids)
      .orderBy('pool')
      .execute();
    const byUser = new Map(counts.map((c) => [c.user_id, c]));
    return rows.map((row) => ({
      ...toUser(row),
      factors: Number(byUser.get(row.id)?.factors ?? 0),
      lockedTokens: Number(byUser.get(row.id)?.locked ?? 0),
      seats: seats.filter((seat) => seat.user_id === row.id).map((seat) => seat.pool),
    }));
  }
}

/**
 * Each sort column's key, exactly as migration 0016 indexes it (the index is used only for the
 * same expression). PostgreSQL compares the text keys in the "C" collation (byte order, as SQLite).
 */
function sortKeys(pg: boolean): Record<UserSortColumn | 'id', RawBuilder<unknown>> {
  const c = pg ? ' collate "C"' : '';
  const raw = (text: string) => sql.raw(text);
  return {
    username: raw(`users.username${c}`),
    displayName: raw(`(lower(coalesce(users.display_name, '')))${c}`),
    email: raw(`(lower(coalesce(users.email, '')))${c}`),
    mobile: raw(`(coalesce(users.mobile, ''))${c}`),
    source: raw(`users.source${c}`),
    status: raw('(case when users.removed_at is not null then 2 else users.disabled end)'),
    createdAt: raw('users.created_at'),
    syncedAt: raw('(coalesce(users.synced_at, 0))'),
    id: raw(`users.id${c}`),
  };
}

/** Cursor: the sort column, and the last (or first) row's sort value and id, as base64url JSON. */
function encodeCursor(column: UserSortColumn, value: string | number, id: string): string {
  return Buffer.from(JSON.stringify([column, value, id])).toString('base64url');
}

function decodeCursor(
  position: { after: string } | { before: string },
  column: UserSortColumn,
): { value: string | number; id: string } {
  const text = 'after' in position ? position.after : position.before;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 3 ||
    parsed[0] !== column ||
    !(typeof parsed[1] === 'string' || typeof parsed[1] === 'number') ||
    typeof parsed[2] !== 'string'
  )
    throw StoreErrors.USER_SEARCH_INVALID({
      detail: `page cursor "${text.slice(0, 80)}" is not one of this sort`,
    });
  return { value: parsed[1], id: parsed[2] };
}
