import type { AdminRole } from '../../config/admin-schema.js';

/**
 * Everything a route of the administration site may need, one word per kind of page and
 * `.read` / `.write` for what it does there. A route declares exactly one; the role table below
 * is the only place that says who holds it.
 */
export const PERMISSIONS = [
  'dashboard.read',
  'preferences.write',
  'users.read',
  'users.write',
  'tokens.read',
  'tokens.write',
  'sessions.read',
  'sessions.write',
  'devices.read',
  'devices.write',
  'seats.read',
  'seats.write',
  'audit.read',
  'monitoring.read',
  'policies.read',
  'policies.write',
  'gateways.read',
  'gateways.write',
  'applications.read',
  'applications.write',
  'licences.read',
  'licences.write',
  'imports.write',
] as const;

/** One permission of the administration site. */
export type Permission = (typeof PERMISSIONS)[number];

const READS = PERMISSIONS.filter((p) => p.endsWith('.read'));

/** What the helpdesk does: users and their tokens, sessions, ActiveSync devices and seats, nothing system-wide. */
const HELPDESK_AREAS = ['users', 'tokens', 'sessions', 'devices', 'seats'];

/**
 * The permissions of each role: administrators everything; the helpdesk users, tokens, sessions,
 * devices and seats (and reads the audit log and monitoring, to answer a user), never policies,
 * gateways, applications or licences; auditors read everything and change nothing. Every role
 * keeps its own grid columns (`preferences.write`), which changes nothing for anyone else.
 */
export const ROLE_PERMISSIONS: Record<AdminRole, ReadonlySet<Permission>> = {
  administrator: new Set(PERMISSIONS),
  helpdesk: new Set<Permission>([
    'dashboard.read',
    'preferences.write',
    'audit.read',
    'monitoring.read',
    ...PERMISSIONS.filter((p) => HELPDESK_AREAS.includes(p.split('.')[0]!)),
  ]),
  auditor: new Set<Permission>([...READS, 'preferences.write']),
};

/** Whether a role holds a permission. */
export function allows(role: AdminRole, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role].has(permission);
}
