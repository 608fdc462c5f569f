import type { Clock } from '../clock.js';
import type { Directory } from '../directory/directory.js';
import type { AuthenticationPolicy, LoginContext } from '../policy/authentication/authentication-policy.js';
import type { Decision } from '../policy/authentication/decision.js';
import type { User, UsersRepository } from '../store/repositories/users.js';
import type { Session, Sessions } from './sessions.js';

/** An application asking to be answered from the browser's session. */
export interface ReuseRequest {
  /** The login's context: address, door, application, device. */
  context: LoginContext;
  /** Why a second factor is wanted whatever the rules say (acr_values, the application's minimum ...). */
  stepUp?: string | undefined;
  /** The application demands the password now (SAML ForceAuthn, OIDC prompt=login). */
  fresh?: boolean;
  /** The password must have been proven within this many ms (OIDC max_age). */
  maxAgeMs?: number | undefined;
}

/** Why a live session cannot answer and the password is asked again. */
export type LoginReason = 'fresh' | 'max_age' | 'country' | 'user';

/** What the session can do for an application. */
export type ReuseOutcome =
  /** The browser has no live session (none, over, revoked). */
  | { kind: 'none' }
  /** A session, but the password must be typed again. */
  | { kind: 'login'; session: Session; reason: LoginReason }
  /** The policy refuses the user this application now. */
  | { kind: 'deny'; session: Session; user: User; decision: Decision }
  /** The policy wants a second factor the session has not proven (or not recently enough). */
  | { kind: 'step_up'; session: Session; user: User; decision: Decision }
  /** Answered from the session without asking anything. */
  | { kind: 'answer'; session: Session; user: User; decision: Decision; mfa: boolean };

/** What single sign-on needs. */
export interface SingleSignOnDeps {
  sessions: Sessions;
  users: Pick<UsersRepository, 'findById'>;
  directory: Pick<Directory, 'current'>;
  policy: Pick<AuthenticationPolicy, 'decide' | 'denied'>;
  /** `policies.mfaSessionMinutes`: how long a second factor proven in the session counts. */
  mfaSessionMinutes: number;
  clock: Clock;
}

/**
 * Single sign-on with every rule still applied: whether a browser's session answers an
 * application without a sign-in. The user is looked up again (disabled or removed since: the
 * session ends), the Authentication Policy is evaluated for this application and context, and
 * the application's own demands (a fresh password, a maximum age) are met; what is missing is
 * named (the password, or only the second factor).
 */
export class SingleSignOn {
  constructor(private readonly deps: SingleSignOnDeps) {}

  /**
   * What the session behind the cookie value `secret` can do for this application. The session
   * and its user are read by one statement (the user is looked up again all the same).
   */
  async reuse(secret: unknown, request: ReuseRequest): Promise<ReuseOutcome> {
    const found = await this.deps.sessions.findWithUser(secret);
    return found ? this.reuseSession(found.session, request, { stored: found.user }) : { kind: 'none' };
  }

  /**
   * What a live session can do for this application. `read`: the session's user as the store
   * had it when the session was read (with it), so as not to read it again.
   */
  async reuseSession(
    session: Session,
    request: ReuseRequest,
    read?: { stored: User | undefined },
  ): Promise<ReuseOutcome> {
    const { policy, clock } = this.deps;
    if (request.fresh) return { kind: 'login', session, reason: 'fresh' };
    if (request.maxAgeMs !== undefined && clock() - session.authTime > request.maxAgeMs)
      return { kind: 'login', session, reason: 'max_age' };
    const user = await this.activeUser(session, request.context.address, read);
    if (!user) return { kind: 'login', session, reason: 'user' };
    const decision = await policy.decide(
      user,
      request.context,
      request.stepUp ? { stepUp: request.stepUp } : {},
    );
    // Another country than the sign-in's: the password again, whatever the rules would allow.
    const country = decision.facts.country;
    if (session.country !== null && country !== null && country !== session.country)
      return { kind: 'login', session, reason: 'country' };
    if (decision.action === 'deny') {
      await policy.denied(user, request.context, decision);
      return { kind: 'deny', session, user, decision };
    }
    const mfa = this.mfaCounts(session);
    if (decision.action === 'mfa' && !mfa) return { kind: 'step_up', session, user, decision };
    return { kind: 'answer', session, user, decision, mfa: session.mfaAt !== undefined };
  }

  /** Whether the session's second factor still counts (`policies.mfaSessionMinutes`). */
  mfaCounts(session: Session): boolean {
    const { mfaSessionMinutes, clock } = this.deps;
    return session.mfaAt !== undefined && clock() - session.mfaAt <= mfaSessionMinutes * 60_000;
  }

  /**
   * The session's user as the directory has them now; undefined (and the session ended) when
   * they were disabled or removed since, or are gone.
   */
  private async activeUser(
    session: Session,
    address: string,
    read?: { stored: User | undefined },
  ): Promise<User | undefined> {
    const { users, directory, sessions } = this.deps;
    const stored = read ? read.stored : await users.findById(session.userId);
    const user = stored && directory.current ? await directory.current(stored) : stored;
    if (user && !user.disabled && user.removedAt === null) return user;
    await sessions.revoke(session, { reason: user ? 'user_disabled' : 'user_removed', address });
    return undefined;
  }
}
