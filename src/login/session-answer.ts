import type { Request, Response } from 'express';
import type { LoginContext } from '../policy/authentication/authentication-policy.js';
import { deniedError } from '../policy/authentication/decision.js';
import type { LoginFlow } from './flow.js';
import { startSecondFactor } from './second-factor-routes.js';
import type { DecisionDeps } from './step.js';

/**
 * Single sign-on on the hosted login: a flow whose browser has a live session is answered from
 * it without a page (the policy applied again), or asked only for the second factor the policy
 * now wants (step-up), or refused as the policy says. False when the password must be typed:
 * no session, or one that cannot answer (a fresh password or a maximum age demanded, another
 * country, a user disabled since).
 */
export async function answerFromSession(
  deps: DecisionDeps,
  req: Request,
  res: Response,
  flow: LoginFlow,
  context: LoginContext,
): Promise<boolean> {
  if (!flow.sessionReuse) return false;
  const outcome = await deps.sessions.reuse(req, res, {
    door: flow.door,
    application: flow.application,
    applicationName: flow.applicationName,
    stepUp: flow.stepUp,
    fresh: flow.fresh === true,
    maxAgeMs: flow.maxAgeMs,
  });
  switch (outcome.kind) {
    case 'answer':
      await flow.finish(req, res, await deps.sessions.answered(req, outcome, flow));
      return true;
    case 'step_up':
      await startSecondFactor(deps, req, res, outcome.user, {
        ...context,
        decision: outcome.decision,
        fromSession: true,
      });
      return true;
    case 'deny':
      if (!flow.answersDenial) throw deniedError(outcome.decision);
      await flow.cancel(req, res, 'denied');
      return true;
    default:
      return false;
  }
}
