import type { Request, Response } from 'express';
import type { LoginContext, SecondStep } from '../policy/authentication/authentication-policy.js';
import type { Decision } from '../policy/authentication/decision.js';
import type { User } from '../store/repositories/users.js';
import { WriteBatch } from '../store/write-batch.js';
import type { FlowResult, LoginFlow, PendingSignInWrites } from './flow.js';
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
  /** The login's context, for the policy's record of the success. */
  context: LoginContext;
  /** The second step passed, for the policy's record (none: the password alone). */
  second?: SecondStep;
  /** The writes the sign-in gathered so far (the steps' audit events), committed with its own. */
  batch?: WriteBatch;
}

/**
 * Ends a sign-in that succeeded, the one way every door's flow ends well: the policy records the
 * success (history, audit event, attempt), the browser's single sign-on session starts (or is
 * proven again), then the door answers its application with the result and the session it
 * belongs to (none for a flow that only verifies the user). The policy's writes and the new
 * session are handed to the door's finish as the sign-in's pending writes, which it commits
 * (with its own, if it has any) in one transaction before it answers.
 */
export async function finishSignIn(
  deps: Pick<DecisionDeps, 'sessions' | 'policy'>,
  req: Request,
  res: Response,
  flow: LoginFlow,
  signIn: SucceededSignIn,
): Promise<void> {
  const { user, amr, mfa, decision } = signIn;
  const batch = signIn.batch ?? new WriteBatch();
  await deps.policy.completed(user, signIn.context, decision, signIn.second, batch);
  const result: FlowResult = {
    userId: user.id,
    user,
    amr,
    mfa,
    decision: { action: decision.action, rule: decision.rule },
  };
  let pending: PendingSignInWrites;
  if (flow.startsSession === false) {
    if (signIn.method) result.method = signIn.method;
    pending = { batch, commit: () => batch.commit() };
  } else {
    const opened = await deps.sessions.open(
      req,
      res,
      { user, amr, mfa, password: signIn.password, country: decision.facts.country },
      batch,
    );
    result.session = { id: opened.session.id, authTime: opened.session.authTime };
    pending = { batch, commit: opened.commit };
  }
  try {
    await flow.finish(req, res, result, pending);
  } finally {
    // The door commits before it answers; a door that failed before it did still stores the
    // sign-in (and the browser its session), as when the door answered after the commit.
    await pending.commit();
  }
}
