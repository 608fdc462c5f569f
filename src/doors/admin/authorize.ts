import type { Request, Response } from 'express';
import type { UsersRepository } from '../../store/repositories/users.js';
import { allows, type Permission } from './permissions.js';
import { type RoleMembers, roleOf } from './roles.js';
import { type AdminSessions, adminSessionOf } from './session.js';
import type { SignedInAdmin } from './signed-in.js';

/** What the one authorisation check decided for a request. */
export type Authorisation =
  | { outcome: 'allowed'; admin: SignedInAdmin }
  /** No live session (never signed in, idle, revoked, the user disabled or removed since). */
  | { outcome: 'signed-out' }
  /** Signed in, but the user holds no role (403). */
  | { outcome: 'not-administrator'; admin: Omit<SignedInAdmin, 'role'> }
  /** The role lacks the route's permission (403). */
  | { outcome: 'forbidden'; admin: SignedInAdmin };

/**
 * The one authorisation check of every administration route: the session, the user as the store
 * has them now (disabled or removed ends the session), the role their name or current groups give
 * them, and whether that role holds the permission the route declared.
 */
export async function authorise(
  deps: { sessions: AdminSessions; users: UsersRepository; members: RoleMembers },
  req: Request,
  res: Response,
  permission: Permission,
): Promise<Authorisation> {
  const session = adminSessionOf(req);
  if (!session) return { outcome: 'signed-out' };
  const user = await deps.users.findById(session.userId);
  if (!user || user.disabled || user.removedAt !== null) {
    await deps.sessions.end(req, res);
    return { outcome: 'signed-out' };
  }
  const role = roleOf(deps.members, user);
  if (!role) return { outcome: 'not-administrator', admin: { user, session } };
  const admin = { user, role, session };
  return allows(role, permission) ? { outcome: 'allowed', admin } : { outcome: 'forbidden', admin };
}
