import type { Request, Response } from 'express';
import type { LoginContext } from '../policy/authentication/authentication-policy.js';
import { deniedError } from '../policy/authentication/decision.js';
import type { User } from '../store/repositories/users.js';
import type { WriteBatch } from '../store/write-batch.js';
import { finishSignIn } from './finish.js';
import type { LoginFlow } from './flow.js';
import { startSecondFactor } from './second-factor-routes.js';
import type { DecisionDeps } from './step.js';

/**
 * Asks the Authentication Policy about a user whose password is proven (now, or by the session:
 * `fromSession`)
 * and acts on the answer: a denial is raised for the page to show (or answered by the door, for
 * flows that answer denials), an allow finishes the flow
 * with the password alone, and a second factor starts the second step. The sign-in's `batch` of
 * writes so far (the password's audit event) is committed on every way before the answer.
 */
export async function actOnDecision(
  deps: DecisionDeps,
  req: Request,
  res: Response,
  flow: LoginFlow,
  user: User,
  context: LoginContext,
  fromSession = false,
  batch?: WriteBatch,
): Promise<void> {
  // Read once: for the policy's facts and, when it asks for a second factor, the challenge's methods.
  const tokens = await deps.challenges.tokensOf(user);
  const decision = await deps.policy.decide(user, context, {
    ...(flow.stepUp ? { stepUp: flow.stepUp } : {}),
    tokens,
  });
  if (decision.action === 'deny') {
    await deps.policy.denied(user, context, decision);
    await batch?.commit();
    if (flow.answersDenial) return flow.cancel(req, res, 'denied');
    throw deniedError(decision);
  }
  if (decision.action === 'allow') {
    return finishSignIn(deps, req, res, flow, {
      user,
      amr: ['pwd'],
      mfa: false,
      password: !fromSession,
      decision,
      context,
      ...(batch ? { batch } : {}),
    });
  }
  await batch?.commit();
  await startSecondFactor(
    deps,
    req,
    res,
    user,
    { ...context, decision, ...(fromSession ? { fromSession } : {}) },
    tokens,
  );
}
