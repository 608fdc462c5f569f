import type { Request, Response } from 'express';
import type { User } from '../../store/repositories/users.js';
import type { SelfServiceDeps } from './deps.js';
import { SelfServiceErrors } from './errors.js';
import { type SelfServiceSession, sessionOf } from './session.js';

/** The signed-in user of a request and their session. */
export interface SignedIn {
  user: User;
  session: SelfServiceSession;
}

/**
 * The signed-in user, or undefined (the session ends when the user was disabled or left the
 * directory's scope since).
 */
export async function signedIn(
  deps: SelfServiceDeps,
  req: Request,
  res: Response,
): Promise<SignedIn | undefined> {
  const session = sessionOf(req);
  if (!session) return undefined;
  const user = await deps.users.findById(session.userId);
  if (!user || user.disabled || user.removedAt !== null) {
    await deps.sessions.end(req, res);
    return undefined;
  }
  return { user, session };
}

/** The signed-in user, or SELFSERVICE_SIGNED_OUT (for form posts). */
export async function requireSignedIn(deps: SelfServiceDeps, req: Request, res: Response): Promise<SignedIn> {
  const found = await signedIn(deps, req, res);
  if (!found) throw SelfServiceErrors.SELFSERVICE_SIGNED_OUT();
  return found;
}

/** Records a self-service action in the audit log. */
export function auditAction(
  deps: SelfServiceDeps,
  req: Request,
  who: SignedIn,
  type: string,
  outcome: 'success' | 'denied' | 'failure',
  details: Record<string, unknown>,
  reason?: string,
): Promise<void> {
  return deps.audit.record({
    type,
    outcome,
    reason: reason ?? null,
    userId: who.user.id,
    username: who.user.username,
    address: req.ip ?? null,
    details: { door: 'selfservice', mfa: who.session.mfa, ...details },
  });
}
