import type { Request, Response } from 'express';
import type { Challenges } from '../engine/challenges.js';
import type { AuthenticationPolicy, LoginContext } from '../policy/authentication/authentication-policy.js';
import type { Decision } from '../policy/authentication/decision.js';
import type { User } from '../store/repositories/users.js';
import type { CsrfProtection } from '../web/csrf.js';
import type { PageRenderer } from '../web/render.js';
import { LoginErrors } from './errors.js';
import type { LoginFlow, LoginFlowSource } from './flow.js';
import type { BrowserSessions } from './sessions.js';

export { clientAddress, DEVICE_COOKIE, deviceId } from './browser.js';

/** What every step of the hosted login needs. */
export interface LoginStepDeps {
  /** The doors' flows: the first that knows a uid owns it. */
  flows: readonly LoginFlowSource[];
  render: PageRenderer;
  csrf: CsrfProtection;
  /** The language of a request's pages and of the passcode messages it triggers (the user's, when known). */
  language: (req: Request, user?: User) => string;
  secureCookies: boolean;
}

/** What acting on a policy decision needs. */
export type DecisionDeps = LoginStepDeps & {
  policy: AuthenticationPolicy;
  challenges: Challenges;
  /** The browser's single sign-on session: started or proven again by every completed sign-in. */
  sessions: BrowserSessions;
};

/**
 * The context a second step carries from the decision to its completion; `fromSession` when the
 * browser's session proved the password (a step-up: the password was not typed).
 */
export type FlowContext = LoginContext & { flow: string; decision: Decision; fromSession?: boolean };

/** The open flow of `/login/:uid` for this browser, or LOGIN_EXPIRED. */
export async function loadFlow(deps: LoginStepDeps, req: Request, res: Response): Promise<LoginFlow> {
  const uid = String(req.params.uid ?? '');
  for (const source of deps.flows) {
    const flow = await source.load(req, res, uid);
    if (flow) return flow;
  }
  throw LoginErrors.LOGIN_EXPIRED({ detail: `no open sign-in ${uid} for this browser` });
}
