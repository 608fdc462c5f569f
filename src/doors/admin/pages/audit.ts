import type { Request } from 'express';
import type { AuditFilter, AuditSort, RecordedAuditEvent } from '../../../store/repositories/audit.js';
import { writeGridCsv } from '../grid/csv-export.js';
import type { GridDefinition } from '../grid/grid.js';
import { columnRoutes } from '../grid/routes.js';
import { gridView, readPaging, readSort } from '../grid/view.js';
import type { AdminPage } from '../page.js';

const PATH = '/admin/audit';

const text = (value: unknown) => (value === null || value === undefined ? '' : String(value));

/** An event's time as the grid and the export show it: UTC, to the second. */
export const auditTime = (at: number) =>
  new Date(at)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, 'Z');

/** The audit grid's columns: the first six shown by default. */
export const AUDIT_GRID: GridDefinition<RecordedAuditEvent> = {
  id: 'audit',
  columns: [
    {
      id: 'at',
      label: 'admin:audit.columns.at',
      visible: true,
      size: 'm',
      sortable: true,
      text: (e) => auditTime(e.at),
    },
    {
      id: 'type',
      label: 'admin:audit.columns.type',
      visible: true,
      size: 'm',
      sortable: true,
      text: (e) => e.type,
    },
    {
      id: 'outcome',
      label: 'admin:audit.columns.outcome',
      visible: true,
      size: 's',
      sortable: true,
      text: (e) => e.outcome,
    },
    {
      id: 'username',
      label: 'admin:audit.columns.username',
      visible: true,
      size: 's',
      sortable: true,
      text: (e) => text(e.username),
    },
    {
      id: 'admin',
      label: 'admin:audit.columns.admin',
      visible: true,
      size: 's',
      text: (e) => text(e.details.admin),
    },
    {
      id: 'address',
      label: 'admin:audit.columns.address',
      visible: true,
      size: 's',
      sortable: true,
      text: (e) => text(e.address),
    },
    {
      id: 'reason',
      label: 'admin:audit.columns.reason',
      visible: false,
      size: 'm',
      text: (e) => text(e.reason),
    },
    {
      id: 'details',
      label: 'admin:audit.columns.details',
      visible: false,
      size: 'xl',
      text: (e) => JSON.stringify(e.details),
    },
    { id: 'id', label: 'admin:audit.columns.id', visible: false, size: 'm', text: (e) => e.id },
  ],
};

/** The periods the filter offers, in hours (`all`: no lower bound). */
export const AUDIT_PERIODS: Record<string, number | null> = {
  '1h': 1,
  '24h': 24,
  '7d': 168,
  '30d': 720,
  '90d': 2160,
  all: null,
};

const OUTCOMES = ['success', 'failure', 'denied', 'info'] as const;

/** The filter form's values as typed (to show them again and keep them in links). */
interface FilterForm {
  period: string;
  from: string;
  to: string;
  type: string;
  outcome: string;
  user: string;
  admin: string;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** Reads the filter form from the query: unknown values are dropped, never an error. */
function readFilter(query: Request['query'], now: number): { form: FilterForm; filter: AuditFilter } {
  const field = (name: string, max = 200) => {
    const value = query[name];
    return typeof value === 'string' ? value.trim().slice(0, max) : '';
  };
  const period = field('period') in AUDIT_PERIODS ? field('period') : '7d';
  const from = DAY.test(field('from')) && !Number.isNaN(Date.parse(field('from'))) ? field('from') : '';
  const to = DAY.test(field('to')) && !Number.isNaN(Date.parse(field('to'))) ? field('to') : '';
  const outcome = (OUTCOMES as readonly string[]).includes(field('outcome')) ? field('outcome') : '';
  const form = { period, from, to, type: field('type'), outcome, user: field('user'), admin: field('admin') };
  const hours = AUDIT_PERIODS[period];
  const filter: AuditFilter = {};
  if (from) filter.from = Date.parse(`${from}T00:00:00Z`);
  else if (hours) filter.from = now - hours * 3_600_000;
  if (to) filter.to = Date.parse(`${to}T00:00:00Z`) + 86_400_000;
  if (form.type) filter.type = form.type;
  if (outcome) filter.outcome = outcome as AuditFilter['outcome'];
  if (form.user) filter.username = form.user;
  if (form.admin) filter.admin = form.admin;
  return { form, filter };
}

/** The query of the filters (the non-empty ones), kept by sorting, paging, the columns form and the export. */
const filterQuery = (form: FilterForm): Record<string, string> =>
  Object.fromEntries(Object.entries(form).filter(([, value]) => value !== ''));

const DEFAULT_SORT = { column: 'at', direction: 'desc' } as const;

/** The audit log (item 9): filters, server-side sort and paging, chosen columns, CSV export. */
export const auditPage: AdminPage = {
  nav: { id: 'audit', label: 'admin:nav.audit', path: PATH, permission: 'audit.read', order: 50 },
  routes: [
    {
      method: 'get',
      path: PATH,
      permission: 'audit.read',
      async handle({ req, admin, site, render }) {
        const { form, filter } = readFilter(req.query, site.context.clock());
        const sort = readSort(AUDIT_GRID, req.query, DEFAULT_SORT);
        const paging = readPaging(req.query);
        const audit = site.context.core.audit;
        const [placed, total] = await Promise.all([
          site.grids.columns(admin.user.id, AUDIT_GRID),
          audit.count(filter),
        ]);
        const rows = await audit.search(
          filter,
          sort as AuditSort,
          paging.size,
          (paging.page - 1) * paging.size,
        );
        const language = site.language(req);
        const grid = gridView({
          grid: AUDIT_GRID,
          path: PATH,
          placed,
          rows,
          key: (e) => e.id,
          total,
          sort,
          paging,
          filters: filterQuery(form),
          translate: (key) => site.t(language, key),
        });
        const csv = `${PATH}.csv?${new URLSearchParams({ ...filterQuery(form), sort: sort.column, dir: sort.direction })}`;
        await render('audit', { grid, form, periods: Object.keys(AUDIT_PERIODS), outcomes: OUTCOMES, csv });
      },
    },
    {
      method: 'get',
      path: `${PATH}.csv`,
      permission: 'audit.read',
      async handle({ req, res, admin, site }) {
        const { filter } = readFilter(req.query, site.context.clock());
        const sort = readSort(AUDIT_GRID, req.query, DEFAULT_SORT) as AuditSort;
        const language = site.language(req);
        const day = auditTime(site.context.clock()).slice(0, 10);
        await writeGridCsv(res, {
          name: `passgate-audit-${day}`,
          placed: await site.grids.columns(admin.user.id, AUDIT_GRID),
          translate: (key) => site.t(language, key),
          rows: (limit, offset) => site.context.core.audit.search(filter, sort, limit, offset),
        });
      },
    },
    ...columnRoutes(AUDIT_GRID, PATH),
  ],
};
