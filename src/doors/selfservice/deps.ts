import type { Request, Response } from 'express';
import type { Clock } from '../../clock.js';
import type { MethodOffer } from '../../engine/challenges.js';
import type { Sessions } from '../../engine/sessions.js';
import type { AuditRepository } from '../../store/repositories/audit.js';
import type { PoliciesRepository } from '../../store/repositories/policies.js';
import type { TokensRepository } from '../../store/repositories/tokens.js';
import type { User, UsersRepository } from '../../store/repositories/users.js';
import type { CsrfProtection } from '../../web/csrf.js';
import type { PageRenderer } from '../../web/render.js';
import type { SoftwareEnrolment } from './enrolment.js';
import type { SelfServiceFlows } from './login-flows.js';
import type { MobileChange } from './mobile-change.js';
import type { FactorNoticeDeps } from './notify.js';
import type { SelfServiceSessions } from './session.js';

/** What the self-service pages are built from (see createSelfService). */
export interface SelfServiceDeps {
  sessions: SelfServiceSessions;
  /** The user's single sign-on sessions (the Sessions page, signing out), and dropping the browser's cookie. */
  sso: Pick<Sessions, 'list' | 'byId' | 'revoke' | 'revokeUser' | 'endElsewhere'> & {
    forget(res: Response): void;
    /** Gives the browser a new id for its session of the user (a second factor was added), like a proof does. */
    rotate(
      req: Request,
      res: Response,
      user: Pick<User, 'id' | 'username'>,
      reason: string,
    ): Promise<boolean>;
    /** Where signing out continues to reach the session's applications (single logout), if it must. */
    singleLogout(userId: string, sessionId: string): Promise<string | undefined>;
  };
  flows: SelfServiceFlows;
  enrolment: SoftwareEnrolment;
  users: UsersRepository;
  tokens: TokensRepository;
  audit: AuditRepository;
  policies: PoliciesRepository;
  /** The second factors a user can answer with now (the engine's offers, written nothing). */
  factors: (userId: string) => Promise<MethodOffer[]>;
  notice: FactorNoticeDeps;
  /** Changing the own mobile number: the pending changes, where tokens are written, the default country. */
  mobile: { change: MobileChange; country: string };
  render: PageRenderer;
  csrf: CsrfProtection;
  language: (req: Request) => string;
  clock: Clock;
  settings: {
    /** `selfservice.firstEnrolmentWindowDays`. */
    firstEnrolmentWindowDays: number;
    /** `policies.requireMfa`. */
    requireMfa: boolean;
    /** `selfservice.mobileChange`. */
    mobileChange: boolean;
    issuer: string;
  };
  maxBodyBytes: number;
}
