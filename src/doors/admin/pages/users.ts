import type { Request } from 'express';
import { PassgateError } from '../../../errors.js';
import { missingSeats } from '../../../licences/errors.js';
import type { SeatPool } from '../../../licences/seats.js';
import {
  SEAT_FILTERS,
  type SeatFilter,
  type UserListing,
  type UserSearch,
  type UserSearchPosition,
  type UserSortColumn,
  type UserStatus,
} from '../../../store/repositories/user-search.js';
import type { GridDefinition } from '../grid/grid.js';
import { columnRoutes } from '../grid/routes.js';
import { type GridSort, gridView, readPaging, readSort } from '../grid/view.js';
import type { AdminPage, AdminRequest } from '../page.js';
import { allows } from '../permissions.js';
import { userPath } from './user-view.js';
import { bulkDisable, bulkSeats, bulkUnlock } from './users-bulk.js';

const PATH = '/admin/users';
/** The id of the bulk-actions form the rows' selection boxes belong to. */
const BULK_FORM = 'users-bulk';

const text = (value: unknown) => (value === null || value === undefined ? '' : String(value));
const day = (at: number | null) => (at === null ? '' : new Date(at).toISOString().slice(0, 10));
const statusOf = (u: UserListing): UserStatus =>
  u.removedAt !== null ? 'removed' : u.disabled ? 'disabled' : 'enabled';

/** The users grid's columns (sortable ones are those the store indexes). */
export const USERS_GRID: GridDefinition<UserListing> = {
  id: 'users',
  columns: [
    {
      id: 'username',
      label: 'admin:users.columns.username',
      visible: true,
      size: 'm',
      sortable: true,
      text: (u) => u.username,
      link: (u) => userPath(u.id),
    },
    {
      id: 'displayName',
      label: 'admin:users.columns.displayName',
      visible: true,
      size: 'm',
      sortable: true,
      text: (u) => text(u.displayName),
    },
    {
      id: 'email',
      label: 'admin:users.columns.email',
      visible: true,
      size: 'l',
      sortable: true,
      text: (u) => text(u.email),
    },
    {
      id: 'mobile',
      label: 'admin:users.columns.mobile',
      visible: false,
      size: 's',
      sortable: true,
      text: (u) => text(u.mobile),
    },
    {
      id: 'source',
      label: 'admin:users.columns.source',
      visible: true,
      size: 'xs',
      sortable: true,
      text: (u) => u.source,
    },
    {
      id: 'status',
      label: 'admin:users.columns.status',
      visible: true,
      size: 'xs',
      sortable: true,
      text: statusOf,
    },
    {
      id: 'factors',
      label: 'admin:users.columns.factors',
      visible: true,
      size: 'xs',
      text: (u) => String(u.factors),
    },
    {
      id: 'lockedTokens',
      label: 'admin:users.columns.lockedTokens',
      visible: false,
      size: 'xs',
      text: (u) => String(u.lockedTokens),
    },
    {
      id: 'seats',
      label: 'admin:users.columns.seats',
      visible: true,
      size: 's',
      text: (u) => u.seats.join(', '),
    },
    {
      id: 'groups',
      label: 'admin:users.columns.groups',
      visible: false,
      size: 'l',
      text: (u) => u.groups.join(', '),
    },
    {
      id: 'createdAt',
      label: 'admin:users.columns.createdAt',
      visible: false,
      size: 's',
      sortable: true,
      text: (u) => day(u.createdAt),
    },
    {
      id: 'syncedAt',
      label: 'admin:users.columns.syncedAt',
      visible: false,
      size: 's',
      sortable: true,
      text: (u) => day(u.syncedAt),
    },
  ],
};

const SOURCES = ['local', 'ad'] as const;
const STATUSES: readonly UserStatus[] = ['enabled', 'disabled', 'removed'];
const FACTORS = ['any', 'none'] as const;
const DEFAULT_SORT: GridSort = { column: 'username', direction: 'asc' };

/** The filter form as typed (shown again, kept in links). */
interface FilterForm {
  q: string;
  source: string;
  status: string;
  factor: string;
  seat: string;
  locked: string;
}

/** Reads the search box and filters from the query: unknown values are dropped, never an error. */
function readFilter(query: Request['query']): { form: FilterForm; search: UserSearch } {
  const field = (name: string, max = 200) => {
    const value = query[name];
    return typeof value === 'string' ? value.trim().slice(0, max) : '';
  };
  const oneOf = <T extends string>(name: string, values: readonly T[]) =>
    (values as readonly string[]).includes(field(name)) ? (field(name) as T) : undefined;
  const source = oneOf('source', SOURCES);
  const status = oneOf('status', STATUSES);
  const factor = oneOf('factor', FACTORS);
  const seat = oneOf<SeatFilter>('seat', SEAT_FILTERS);
  const locked = field('locked') === 'on';
  const form = {
    q: field('q'),
    source: source ?? '',
    status: status ?? '',
    factor: factor ?? '',
    seat: seat ?? '',
    locked: locked ? 'on' : '',
  };
  const search: UserSearch = {
    text: form.q,
    ...(source ? { source } : {}),
    ...(status ? { status } : {}),
    ...(factor ? { factor } : {}),
    ...(seat ? { seat } : {}),
    ...(locked ? { lockedTokens: true } : {}),
  };
  return { form, search };
}

const filterQuery = (form: FilterForm): Record<string, string> =>
  Object.fromEntries(Object.entries(form).filter(([, value]) => value !== ''));

/** `?after=`, `?before=` (cursors of a neighbouring page) or `?at=last`. */
function readPosition(query: Request['query']): UserSearchPosition {
  if (typeof query.after === 'string') return { after: query.after.slice(0, 1_000) };
  if (typeof query.before === 'string') return { before: query.before.slice(0, 1_000) };
  return query.at === 'last' ? 'last' : 'first';
}

async function showUsers({ req, admin, site, render }: AdminRequest): Promise<void> {
  const { form, search } = readFilter(req.query);
  const sort = readSort(USERS_GRID, req.query, DEFAULT_SORT);
  const { size } = readPaging(req.query);
  const [placed, page] = await Promise.all([
    site.grids.columns(admin.user.id, USERS_GRID),
    site.context.core.repositories.userSearch.search({
      ...search,
      sort: sort.column as UserSortColumn,
      descending: sort.direction === 'desc',
      pageSize: size,
      position: readPosition(req.query),
    }),
  ]);
  const language = site.language(req);
  const translate = (key: string, values?: Record<string, unknown>) => site.t(language, key, values);
  const grid = gridView({
    grid: USERS_GRID,
    path: PATH,
    placed,
    rows: page.users,
    key: (u) => u.id,
    total: page.total,
    sort,
    paging: { page: 1, size },
    filters: filterQuery(form),
    translate,
    selectionForm: BULK_FORM,
  });
  const href = (changes: Record<string, string>) =>
    `${PATH}?${new URLSearchParams({ ...filterQuery(form), sort: sort.column, dir: sort.direction, size: String(size), ...changes })}`;
  const total = page.total.toLocaleString(language);
  grid.paging = {
    ...grid.paging,
    summary: translate(page.exact ? 'admin:users.summary' : 'admin:users.summaryMore', { total }),
    firstHref: page.previous ? href({}) : undefined,
    previousHref: page.previous ? href({ before: page.previous }) : undefined,
    nextHref: page.next ? href({ after: page.next }) : undefined,
    lastHref: page.next ? href({ at: 'last' }) : undefined,
  };
  await render('users', {
    grid,
    form,
    sources: SOURCES,
    statuses: STATUSES,
    factors: FACTORS,
    seats: SEAT_FILTERS,
    bulkForm: BULK_FORM,
    back: grid.query,
    result: readResult(req.query),
    canCreate: allows(admin.role, 'users.write'),
  });
}

/** The outcome of a bulk action, read back after its redirect. */
function readResult(query: Request['query']): { key: string; values: Record<string, string> } | undefined {
  const done = typeof query.done === 'string' && /^\d+$/.test(query.done) ? query.done : undefined;
  if (done !== undefined) return { key: 'admin:users.bulk.done', values: { count: done } };
  const missing =
    typeof query.missing === 'string' && /^\d+$/.test(query.missing) ? query.missing : undefined;
  if (missing !== undefined) return { key: 'admin:users.bulk.seatsFull', values: { missing } };
  if (query.refused === 'none') return { key: 'admin:users.bulk.none', values: {} };
  if (query.refused === 'unknown') return { key: 'admin:users.bulk.unknown', values: {} };
  return undefined;
}

/** The selected users' ids from a bulk form (at most one page's worth). */
function selectedIds(body: Record<string, unknown>): string[] {
  const ids = body.select;
  const list = Array.isArray(ids) ? ids : typeof ids === 'string' ? [ids] : [];
  return [...new Set(list.filter((id): id is string => typeof id === 'string' && id.length <= 100))].slice(
    0,
    500,
  );
}

/** Where a bulk action returns: the grid as it was (`back` is the grid's own query), with the outcome. */
function backTo(body: Record<string, unknown>, outcome: Record<string, string>): string {
  const back = new URLSearchParams(typeof body.back === 'string' ? body.back : '');
  for (const key of ['done', 'missing', 'refused']) back.delete(key);
  for (const [key, value] of Object.entries(outcome)) back.set(key, value);
  return `${PATH}?${back}`;
}

/** Runs a bulk action over the selection and redirects back with what it did or why it refused. */
function bulkRoute(
  path: string,
  permission: 'seats.write' | 'users.write' | 'tokens.write',
  act: (request: AdminRequest, ids: string[]) => Promise<number>,
): AdminPage['routes'][number] {
  return {
    method: 'post',
    path: `${PATH}/bulk/${path}`,
    permission,
    async handle(request) {
      const body = (request.req.body ?? {}) as Record<string, unknown>;
      const ids = selectedIds(body);
      if (ids.length === 0) return request.res.redirect(303, backTo(body, { refused: 'none' }));
      try {
        const changed = await act(request, ids);
        request.res.redirect(303, backTo(body, { done: String(changed) }));
      } catch (error) {
        const missing = missingSeats(error);
        if (missing !== undefined)
          return request.res.redirect(303, backTo(body, { missing: String(missing) }));
        if (error instanceof PassgateError && error.code === 'SEAT_UNKNOWN_USER')
          return request.res.redirect(303, backTo(body, { refused: 'unknown' }));
        throw error;
      }
    },
  };
}

const poolOf = (body: Record<string, unknown>): SeatPool => (body.pool === 'reset' ? 'reset' : 'mfa');

/** The users grid (issue 16 item 2): search, filters, sort, keyset paging, chosen columns, bulk actions. */
export const usersPage: AdminPage = {
  nav: { id: 'users', label: 'admin:nav.users', path: PATH, permission: 'users.read', order: 10 },
  routes: [
    { method: 'get', path: PATH, permission: 'users.read', handle: showUsers },
    bulkRoute('allocate', 'seats.write', (r, ids) => bulkSeats(r, ids, poolOf(r.req.body), 'allocate')),
    bulkRoute('release', 'seats.write', (r, ids) => bulkSeats(r, ids, poolOf(r.req.body), 'release')),
    bulkRoute('disable', 'users.write', bulkDisable),
    bulkRoute('unlock', 'tokens.write', bulkUnlock),
    ...columnRoutes(USERS_GRID, PATH),
  ],
};
