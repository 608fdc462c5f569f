import { randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Challenges } from '../../engine/challenges.js';
import type {
  AuthenticationPolicy,
  LoginContext,
} from '../../policy/authentication/authentication-policy.js';
import { type Decision, deniedError } from '../../policy/authentication/decision.js';
import type { User } from '../../store/repositories/users.js';
import { ACR_PASSWORD, DEVICE_COOKIE } from './assurance.js';
import { finishLogin, type LoginStepDeps } from './login-step.js';
import { startSecondFactor } from './second-factor-routes.js';

/** What acting on a policy decision needs. */
export type DecisionDeps = LoginStepDeps & { policy: AuthenticationPolicy; challenges: Challenges };

/** The context a second step carries from the decision to its completion. */
export type FlowContext = LoginContext & { flow: string; decision: Decision };

const DEVICE_ID = /^[A-Za-z0-9_-]{24}$/;
const DEVICE_COOKIE_DAYS = 400; // the longest lifetime browsers keep a cookie

/** This browser's device id (for the "new device" condition), set on its first visit. */
export function deviceId(req: Request, res: Response, secureCookies: boolean): string {
  const known = (req.cookies as Record<string, string | undefined>)[DEVICE_COOKIE];
  if (known && DEVICE_ID.test(known)) return known;
  const id = randomBytes(18).toString('base64url');
  res.cookie(DEVICE_COOKIE, id, {
    httpOnly: true,
    sameSite: 'lax',
    secure: secureCookies,
    path: '/',
    maxAge: DEVICE_COOKIE_DAYS * 24 * 3600 * 1000,
  });
  return id;
}

/**
 * Asks the Authentication Policy about a user whose password is proven (now, or by the session)
 * and acts on the answer: a denial is raised for the page to show, an allow finishes the login
 * with the password's ACR, and a second factor starts the second step.
 */
export async function actOnDecision(
  deps: DecisionDeps,
  req: Request,
  res: Response,
  user: User,
  context: LoginContext,
  stepUp: string | undefined,
): Promise<void> {
  const decision = await deps.policy.decide(user, context, stepUp ? { stepUp } : {});
  if (decision.action === 'deny') {
    await deps.policy.denied(user, context, decision);
    throw deniedError(decision);
  }
  if (decision.action === 'allow') {
    await deps.policy.completed(user, context, decision);
    return finishLogin(deps.provider(), req, res, {
      login: { accountId: user.id, amr: ['pwd'], acr: ACR_PASSWORD },
    });
  }
  await startSecondFactor(deps, req, res, user, { ...context, decision });
}
