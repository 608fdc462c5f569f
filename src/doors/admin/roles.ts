import { ADMIN_ROLES, type AdminRole } from '../../config/admin-schema.js';
import type { Config } from '../../config/load.js';
import type { User } from '../../store/repositories/user.js';

/** The configured members of each role, lower-cased once. */
export type RoleMembers = Record<AdminRole, { groups: Set<string>; users: Set<string> }>;

/** Reads `admin.roles` into sets for the lookups of every request. */
export function roleMembers(config: Config): RoleMembers {
  const lower = (values: readonly string[]) => new Set(values.map((v) => v.toLowerCase()));
  const members = {} as RoleMembers;
  for (const role of ADMIN_ROLES) {
    const configured = config.admin.roles[role];
    members[role] = { groups: lower(configured.groups), users: lower(configured.users) };
  }
  return members;
}

/**
 * The role a user holds now (the most powerful one they are named or grouped in), or undefined:
 * read on every request from the user's current groups, so a change in the directory (a sync) or
 * in the configuration (a restart) applies at the next page.
 */
export function roleOf(members: RoleMembers, user: Pick<User, 'username' | 'groups'>): AdminRole | undefined {
  const name = user.username.toLowerCase();
  const groups = user.groups.map((g) => g.toLowerCase());
  return ADMIN_ROLES.find(
    (role) => members[role].users.has(name) || groups.some((group) => members[role].groups.has(group)),
  );
}
