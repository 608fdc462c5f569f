import type { Request, Response } from 'express';
import { type BrowserBinding, loginPath } from '../../login/browser-binding.js';
import type { LoginFlow, LoginFlowSource } from '../../login/flow.js';
import { completeSiteSignIn } from '../site-sign-in.js';
import type { SelfServiceSession, SelfServiceSessions } from './session.js';

/** The door and application name of the self-service site in policies and the audit log. */
export const SELFSERVICE_DOOR = 'selfservice';

/** Why the self-service site asks the hosted login for a second factor whatever the rules say. */
export const ENROL_STEP_UP = 'selfservice-enrolment';

/** How long a sign-in started from the self-service site may take. */
export const SELFSERVICE_FLOW_MINUTES = 15;

/** The cookie binding a self-service sign-in in progress to its browser (path `/login/<uid>`). */
export const SELFSERVICE_FLOW_COOKIE = 'passgate.selfservice.flow';

/** What a self-service sign-in keeps server-side while the hosted login runs (the binding's state). */
export interface PendingSignIn {
  /** Set for a step-up: the signed-in user who must now pass a second factor. */
  userId?: string;
  /** Set for a step-up: the session the new one replaces (revoked when it starts). */
  replaces?: Pick<SelfServiceSession, 'sid' | 'signedInAt'>;
}

/**
 * The self-service site's sign-ins through the hosted login (`/login/:uid`), bound to the browser
 * that started them by the hosted login's BrowserBinding, so only that browser can carry one out,
 * once, and several can run at once; finishing starts a self-service session.
 */
export class SelfServiceFlows implements LoginFlowSource {
  constructor(
    private readonly binding: BrowserBinding<PendingSignIn>,
    private readonly sessions: SelfServiceSessions,
    private readonly applicationName: () => string,
  ) {}

  /**
   * Starts a sign-in and sends the browser to the hosted login. With `stepUp`, the session's
   * user signs in again with a second factor (the password step is skipped), and the new session
   * replaces the old one (a copy of its cookie stops working).
   */
  async start(res: Response, stepUp?: SelfServiceSession): Promise<void> {
    const pending: PendingSignIn = stepUp
      ? { userId: stepUp.userId, replaces: { sid: stepUp.sid, signedInAt: stepUp.signedInAt } }
      : {};
    res.redirect(303, loginPath(await this.binding.start(res, pending)));
  }

  async load(req: Request, _res: Response, uid: string): Promise<LoginFlow | undefined> {
    const bound = await this.binding.load(req, uid);
    if (!bound) return undefined;
    const pending = bound.state;
    return {
      uid,
      door: SELFSERVICE_DOOR,
      application: SELFSERVICE_DOOR,
      applicationName: this.applicationName(),
      ...(pending.userId ? { sessionUserId: pending.userId, stepUp: ENROL_STEP_UP } : {}),
      finish: async (_request, response, result, writes) => {
        await writes?.commit();
        await completeSiteSignIn(this.binding, response, uid, 'self-service');
        if (pending.replaces) await this.sessions.revoke(pending.replaces);
        this.sessions.start(response, result);
        response.redirect(303, '/selfservice');
      },
      cancel: async (_request, response) => {
        await completeSiteSignIn(this.binding, response, uid, 'self-service');
        response.redirect(303, '/selfservice/signed-out');
      },
    };
  }

  /** Drops this door's sign-ins that have expired (the site's clean-up job). */
  prune(now: number): Promise<number> {
    return this.binding.prune(now);
  }
}
