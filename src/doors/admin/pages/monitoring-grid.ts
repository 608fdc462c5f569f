import type { SignInAttemptRow } from '../../../store/tables.js';
import type { GridDefinition } from '../grid/grid.js';
import { auditTime } from './audit.js';

const text = (value: string | null) => value ?? '';

/** The attempts grid of /admin/monitoring (and its CSV export): the first seven columns shown by default. */
export const ATTEMPTS_GRID: GridDefinition<SignInAttemptRow> = {
  id: 'attempts',
  columns: [
    {
      id: 'at',
      label: 'admin:monitoring.columns.at',
      visible: true,
      size: 'm',
      sortable: true,
      text: (a) => auditTime(a.at),
    },
    {
      id: 'user',
      label: 'admin:monitoring.columns.user',
      visible: true,
      size: 's',
      sortable: true,
      text: (a) => a.user_name,
    },
    {
      id: 'result',
      label: 'admin:monitoring.columns.result',
      visible: true,
      size: 's',
      sortable: true,
      text: (a) => a.result,
    },
    {
      id: 'country',
      label: 'admin:monitoring.columns.country',
      visible: true,
      size: 'xs',
      sortable: true,
      text: (a) => text(a.country),
    },
    {
      id: 'door',
      label: 'admin:monitoring.columns.door',
      visible: true,
      size: 's',
      sortable: true,
      text: (a) => a.door,
    },
    {
      id: 'application',
      label: 'admin:monitoring.columns.application',
      visible: true,
      size: 's',
      sortable: true,
      text: (a) => text(a.application),
    },
    {
      id: 'address',
      label: 'admin:monitoring.columns.address',
      visible: true,
      size: 'm',
      text: (a) => a.address,
    },
    {
      id: 'network',
      label: 'admin:monitoring.columns.network',
      visible: false,
      size: 'm',
      text: (a) => text(a.network),
    },
    {
      id: 'method',
      label: 'admin:monitoring.columns.method',
      visible: false,
      size: 's',
      text: (a) => text(a.method),
    },
    {
      id: 'rule',
      label: 'admin:monitoring.columns.rule',
      visible: false,
      size: 's',
      text: (a) => text(a.rule),
    },
    {
      id: 'action',
      label: 'admin:monitoring.columns.action',
      visible: false,
      size: 'xs',
      text: (a) => text(a.action),
    },
    {
      id: 'reason',
      label: 'admin:monitoring.columns.reason',
      visible: false,
      size: 'm',
      text: (a) => text(a.reason),
    },
    {
      id: 'firstSeen',
      label: 'admin:monitoring.columns.firstSeen',
      visible: false,
      size: 'xs',
      text: (a) => (a.first_seen === 1 ? 'yes' : ''),
    },
    { id: 'id', label: 'admin:monitoring.columns.id', visible: false, size: 'm', text: (a) => a.id },
  ],
};
