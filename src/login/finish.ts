import type { Request, Response } from 'express';
import type { Decision } from '../policy/authentication/decision.js';
import type { User } from '../store/repositories/users.js';
import type { LoginFlow } from './flow.js';
import type { DecisionDeps } from './step.js';

/** A sign-in of the hosted login that succeeded. */
export interface SucceededSignIn {
  user: User;
  amr: string[];
  mfa: boolean;
  /** The password was typed in this sign-in (false: the session had proven it, a step-up). */
  password: boolean;
  decision: Decision;
  /** The second factor's method type, when one was passed. */
  method?: string;
}

/**
 * Ends a sign-in that succeeded, the one way every door's flow ends well: the browser's single
 * sign-on session starts (or is proven again), then the door answers its application with the
 * result and the session it belongs to (none for a flow that only verifies the user).
 */
export async function finishSignIn(
  deps: Pick<DecisionDeps, 'sessions'>,
  req: Request,
  res: Response,
  flow: LoginFlow,
  signIn: SucceededSignIn,
): Promise<void> {
  const { user, amr, mfa, decision } = signIn;
  if (flow.startsSession === false) {
    return flow.finish(req, res, {
      userId: user.id,
      amr,
      mfa,
      decision: { action: decision.action, rule: decision.rule },
      ...(signIn.method ? { method: signIn.method } : {}),
    });
  }
  const session = await deps.sessions.establish(req, res, {
    user,
    amr,
    mfa,
    password: signIn.password,
    country: decision.facts.country,
  });
  await flow.finish(req, res, {
    userId: user.id,
    amr,
    mfa,
    decision: { action: decision.action, rule: decision.rule },
    session: { id: session.id, authTime: session.authTime },
  });
}
