import type { Request } from 'express';
import type { Config } from '../../../config/load.js';
import type { DeviceDecider } from '../../../devices/approvals.js';
import { DeviceErrors } from '../../../devices/errors.js';
import {
  DEVICE_STATES,
  type Device,
  type DeviceFilter,
  type DeviceSort,
} from '../../../store/repositories/devices.js';
import type { GridDefinition } from '../grid/grid.js';
import { columnRoutes } from '../grid/routes.js';
import { gridView, readPaging, readSort } from '../grid/view.js';
import type { AdminPage, AdminRequest } from '../page.js';
import { auditTime } from './audit.js';

const PATH = '/admin/devices';

/** The id of the bulk-actions form the rows' selection boxes belong to. */
const BULK_FORM = 'devices-bulk';

/** The devices grid's columns, and the store column each sortable one sorts by. */
export const DEVICES_GRID: GridDefinition<Device> = {
  id: 'devices',
  columns: [
    {
      id: 'user',
      label: 'admin:devices.columns.user',
      visible: true,
      size: 's',
      sortable: true,
      text: (d) => d.user.name,
      link: (d) => `/admin/users/${encodeURIComponent(d.user.id)}`,
    },
    {
      id: 'type',
      label: 'admin:devices.columns.type',
      visible: true,
      size: 's',
      sortable: true,
      text: (d) => d.deviceType,
    },
    {
      id: 'model',
      label: 'admin:devices.columns.model',
      visible: true,
      size: 's',
      text: (d) => d.model ?? '',
    },
    {
      id: 'state',
      label: 'admin:devices.columns.state',
      visible: true,
      size: 'xs',
      sortable: true,
      text: (d) => d.state,
    },
    {
      id: 'firstSeen',
      label: 'admin:devices.columns.firstSeen',
      visible: true,
      size: 'm',
      sortable: true,
      text: (d) => auditTime(d.firstSeen.at),
    },
    {
      id: 'from',
      label: 'admin:devices.columns.from',
      visible: true,
      size: 'm',
      text: (d) => [d.firstSeen.address, d.firstSeen.country].filter(Boolean).join(' · '),
    },
    {
      id: 'lastSeen',
      label: 'admin:devices.columns.lastSeen',
      visible: true,
      size: 'm',
      sortable: true,
      text: (d) => auditTime(d.lastSeen.at),
    },
    {
      id: 'decided',
      label: 'admin:devices.columns.decided',
      visible: false,
      size: 'm',
      text: (d) => (d.decided ? `${auditTime(d.decided.at)} · ${d.decided.by}` : ''),
    },
    {
      id: 'deviceId',
      label: 'admin:devices.columns.deviceId',
      visible: false,
      size: 'm',
      text: (d) => d.deviceId,
    },
    {
      id: 'userAgent',
      label: 'admin:devices.columns.userAgent',
      visible: false,
      size: 'l',
      text: (d) => d.userAgent ?? '',
    },
    { id: 'id', label: 'admin:devices.columns.id', visible: false, size: 'm', text: (d) => d.id },
  ],
};

/** The store column of each sortable grid column. */
const SORT_COLUMNS: Record<string, DeviceSort['column']> = {
  user: 'user_name',
  type: 'device_type',
  state: 'state',
  firstSeen: 'first_seen_at',
  lastSeen: 'last_seen_at',
};

const DEFAULT_SORT = { column: 'lastSeen', direction: 'desc' } as const;

/** The filter form as typed (to show it again and keep it in links). */
interface FilterForm {
  user: string;
  state: string;
}

/** Reads the filters from the query: an unknown state is dropped; a user name that is nobody finds nothing. */
async function readFilter(
  query: Request['query'],
  { site }: Pick<AdminRequest, 'site'>,
): Promise<{ form: FilterForm; filter: DeviceFilter | undefined }> {
  const field = (name: string) => (typeof query[name] === 'string' ? query[name].trim().slice(0, 256) : '');
  const state = (DEVICE_STATES as readonly string[]).includes(field('state')) ? field('state') : '';
  const form = { user: field('user'), state };
  const filter: DeviceFilter = {};
  if (state) filter.state = state as DeviceFilter['state'];
  if (form.user) {
    const user = await site.context.core.users.findByUsername(form.user);
    if (!user) return { form, filter: undefined };
    filter.userId = user.id;
  }
  return { form, filter };
}

const filterQuery = (form: FilterForm): Record<string, string> =>
  Object.fromEntries(Object.entries(form).filter(([, value]) => value !== ''));

/** The grid of every device, its filters, and the outcome of the last bulk action. */
async function showDevices(request: AdminRequest): Promise<void> {
  const { req, admin, site, render } = request;
  const { form, filter } = await readFilter(req.query, request);
  const sort = readSort(DEVICES_GRID, req.query, DEFAULT_SORT);
  const paging = readPaging(req.query);
  const devices = site.context.core.repositories.devices;
  const storeSort: DeviceSort = {
    column: SORT_COLUMNS[sort.column] ?? 'last_seen_at',
    direction: sort.direction,
  };
  const [placed, total, rows] = await Promise.all([
    site.grids.columns(admin.user.id, DEVICES_GRID),
    filter ? devices.count(filter) : 0,
    filter ? devices.search(filter, storeSort, paging.size, (paging.page - 1) * paging.size) : [],
  ]);
  const language = site.language(req);
  const grid = gridView({
    grid: DEVICES_GRID,
    path: PATH,
    placed,
    rows,
    key: (d) => d.id,
    total,
    sort,
    paging,
    filters: filterQuery(form),
    translate: (key) => site.t(language, key),
    selectionForm: BULK_FORM,
  });
  const done = typeof req.query.done === 'string' && /^\d+$/.test(req.query.done) ? req.query.done : null;
  await render('devices', {
    grid,
    form,
    states: DEVICE_STATES,
    bulkForm: BULK_FORM,
    back: grid.query,
    done,
    none: req.query.refused === 'none',
  });
}

/** The selected devices' public ids from the bulk form (at most one page's worth). */
function selectedIds(body: Record<string, unknown>): string[] {
  const ids = body.select;
  const list = Array.isArray(ids) ? ids : typeof ids === 'string' ? [ids] : [];
  return [...new Set(list.filter((id): id is string => typeof id === 'string' && id.length <= 100))].slice(
    0,
    100,
  );
}

/** Where a bulk action returns: the grid as it was (`back` is the grid's own query), with the outcome. */
function backTo(body: Record<string, unknown>, outcome: Record<string, string>): string {
  const back = new URLSearchParams(typeof body.back === 'string' ? body.back : '');
  for (const key of ['done', 'refused']) back.delete(key);
  for (const [key, value] of Object.entries(outcome)) back.set(key, value);
  return `${PATH}?${back}`;
}

/** The actions of the bulk form: each goes through the engine's device approvals, which audits it. */
const ACTIONS = ['approve', 'reject', 'clear', 'remove'] as const;

/**
 * Runs one action over the selected devices through the engine's device approvals (audited
 * there with the administrator); a device removed meanwhile is skipped. Redirects back with how
 * many changed.
 */
function bulkRoute(action: (typeof ACTIONS)[number]): AdminPage['routes'][number] {
  return {
    method: 'post',
    path: `${PATH}/bulk/${action}`,
    permission: 'devices.write',
    async handle({ req, res, admin, site }) {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const ids = selectedIds(body);
      if (ids.length === 0) return res.redirect(303, backTo(body, { refused: 'none' }));
      const decider: Exclude<DeviceDecider, { kind: 'owner' }> = {
        kind: 'administrator',
        name: admin.user.username,
      };
      const origin = { address: req.ip ?? null, door: 'admin' };
      const approvals = site.context.core.devices;
      let changed = 0;
      for (const id of ids) {
        try {
          await approvals[action](id, decider, origin);
          changed++;
        } catch (error) {
          if (!DeviceErrors.is(error, 'DEVICE_NOT_FOUND')) throw error;
        }
      }
      res.redirect(303, backTo(body, { done: String(changed) }));
    },
  };
}

/** Whether the site shows ActiveSync devices: only with the ActiveSync door on (`activesync.enabled`). */
export const activesyncOn = (config: Config): boolean => config.activesync.enabled;

/**
 * The ActiveSync devices of every user (issue 20 item 2): filters by user and state, sort,
 * paging, chosen columns; approve, reject, clear (a rejected device asks its owner again) and
 * remove the selected devices, through the same engine service as the Device Provisioning site.
 */
export const devicesPage: AdminPage = {
  nav: { id: 'devices', label: 'admin:nav.devices', path: PATH, permission: 'devices.read', order: 15 },
  shownWhen: activesyncOn,
  routes: [
    { method: 'get', path: PATH, permission: 'devices.read', handle: showDevices },
    ...ACTIONS.map(bulkRoute),
    ...columnRoutes(DEVICES_GRID, PATH),
  ],
};
