import { randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Clock } from '../../clock.js';
import type { SecretBox } from '../../crypto/secret-box.js';
import type { LoginFlow, LoginFlowSource } from '../../login/flow.js';
import { SealedCookie } from './sealed-cookie.js';
import type { SelfServiceSession, SelfServiceSessions } from './session.js';

/** The door and application name of the self-service site in policies and the audit log. */
export const SELFSERVICE_DOOR = 'selfservice';

/** Why the self-service site asks the hosted login for a second factor whatever the rules say. */
export const ENROL_STEP_UP = 'selfservice-enrolment';

/** How long a sign-in started from the self-service site may take. */
const FLOW_MINUTES = 15;

/** A sign-in the self-service site started, as its sealed cookie holds it. */
interface PendingSignIn {
  uid: string;
  expiresAt: number;
  /** Set for a step-up: the signed-in user who must now pass a second factor. */
  userId?: string;
  /** Set for a step-up: the session the new one replaces (revoked when it starts). */
  replaces?: Pick<SelfServiceSession, 'sid' | 'signedInAt'>;
}

/** The pages of one sign-in: its cookie is sent there only, so sign-ins in other tabs keep theirs. */
const flowPath = (uid: string) => `/login/${uid}`;

/**
 * The self-service site's sign-ins through the hosted login (`/login/:uid`). The flow lives in a
 * sealed cookie scoped to that sign-in's pages, so only the browser that started it can carry it
 * out, and several can run at once; finishing starts a self-service session and drops the flow.
 */
export class SelfServiceFlows implements LoginFlowSource {
  private readonly cookie: SealedCookie<PendingSignIn>;

  constructor(
    box: SecretBox,
    secure: boolean,
    private readonly clock: Clock,
    private readonly sessions: SelfServiceSessions,
    private readonly applicationName: () => string,
  ) {
    this.cookie = new SealedCookie(box, { name: 'passgate.selfservice.flow', path: '/login', secure });
  }

  /**
   * Starts a sign-in and sends the browser to the hosted login. With `stepUp`, the session's
   * user signs in again with a second factor (the password step is skipped), and the new session
   * replaces the old one (a copy of its cookie stops working).
   */
  start(res: Response, stepUp?: SelfServiceSession): void {
    const now = this.clock();
    const uid = `ss-${randomBytes(18).toString('base64url')}`;
    const replacing = stepUp
      ? { userId: stepUp.userId, replaces: { sid: stepUp.sid, signedInAt: stepUp.signedInAt } }
      : {};
    this.cookie.write(res, { uid, expiresAt: now + FLOW_MINUTES * 60_000, ...replacing }, now, flowPath(uid));
    res.redirect(303, `/login/${uid}`);
  }

  async load(req: Request, _res: Response, uid: string): Promise<LoginFlow | undefined> {
    const pending = this.cookie.read(req, this.clock());
    if (!pending || pending.uid !== uid) return undefined;
    return {
      uid,
      door: SELFSERVICE_DOOR,
      application: SELFSERVICE_DOOR,
      applicationName: this.applicationName(),
      ...(pending.userId ? { sessionUserId: pending.userId, stepUp: ENROL_STEP_UP } : {}),
      finish: async (_request, response, result) => {
        this.cookie.clear(response, flowPath(uid));
        if (pending.replaces) await this.sessions.revoke(pending.replaces);
        this.sessions.start(response, result);
        response.redirect(303, '/selfservice');
      },
      cancel: async (_request, response) => {
        this.cookie.clear(response, flowPath(uid));
        response.redirect(303, '/selfservice/signed-out');
      },
    };
  }
}
