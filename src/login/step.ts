import { randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Challenges } from '../engine/challenges.js';
import type { AuthenticationPolicy, LoginContext } from '../policy/authentication/authentication-policy.js';
import type { Decision } from '../policy/authentication/decision.js';
import type { User } from '../store/repositories/users.js';
import type { CsrfProtection } from '../web/csrf.js';
import type { PageRenderer } from '../web/render.js';
import { LoginErrors } from './errors.js';
import type { LoginFlow, LoginFlowSource } from './flow.js';

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
export type DecisionDeps = LoginStepDeps & { policy: AuthenticationPolicy; challenges: Challenges };

/** The context a second step carries from the decision to its completion. */
export type FlowContext = LoginContext & { flow: string; decision: Decision };

/** The open flow of `/login/:uid` for this browser, or LOGIN_EXPIRED. */
export async function loadFlow(deps: LoginStepDeps, req: Request, res: Response): Promise<LoginFlow> {
  const uid = String(req.params.uid ?? '');
  for (const source of deps.flows) {
    const flow = await source.load(req, res, uid);
    if (flow) return flow;
  }
  throw LoginErrors.LOGIN_EXPIRED({ detail: `no open sign-in ${uid} for this browser` });
}

/** The client address as established by the shell (trusted proxies resolved). */
export function clientAddress(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? '';
}

/** Cookie holding the browser's device id (for the "new device" condition). */
export const DEVICE_COOKIE = 'passgate.device';
const DEVICE_ID = /^[A-Za-z0-9_-]{24}$/;
const DEVICE_COOKIE_DAYS = 400; // the longest lifetime browsers keep a cookie

/** This browser's device id, set on its first visit. */
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
