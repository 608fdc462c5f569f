import type { Request, RequestHandler, Response } from 'express';
import type { Clock } from '../../clock.js';
import { SESSION_MAX_HOURS_LIMIT } from '../../config/selfservice-schema.js';
import type { SecretBox } from '../../crypto/secret-box.js';
import type { Sessions } from '../../engine/sessions.js';
import type { FlowResult } from '../../login/flow.js';
import type { RevokedSessionsRepository } from '../../store/repositories/revoked-sessions.js';
import { type SiteSession, type SiteSessionLifetime, SiteSessions } from '../../web/site-sessions.js';

/** A signed-in self-service browser: who, and how the sign-in was proven. */
export interface SelfServiceSession extends SiteSession {
  /** A second factor was passed in the sign-in. */
  mfa: boolean;
  /**
   * What the Authentication Policy decided for the sign-in (whether a rule or learned trust let
   * the password alone through); `unknown` when the flow did not say, which counts as skipped.
   */
  decision: { action: string; rule: string };
}

/** How long a session lives. */
export type SessionLifetime = SiteSessionLifetime;

const sessions = new WeakMap<Request, SelfServiceSession>();

/** The session {@link SelfServiceSessions.middleware} found for a request, if any. */
export function sessionOf(req: Request): SelfServiceSession | undefined {
  return sessions.get(req);
}

/**
 * Self-service sessions in a sealed cookie scoped to `/selfservice`: an idle timeout renewed by
 * each request, and an absolute limit counted from the sign-in that no renewal passes. Signing
 * out revokes the session in the store, so a copy of the cookie taken before is refused by every
 * server process; the revocation is kept until the cookie could no longer be valid anyway. A
 * session bound to a single sign-on session ends with it (signed out or revoked elsewhere).
 */
export class SelfServiceSessions {
  private readonly site: SiteSessions<SelfServiceSession>;

  constructor(
    box: SecretBox,
    secure: boolean,
    clock: Clock,
    lifetime: SessionLifetime,
    private readonly revoked: RevokedSessionsRepository,
    sso: Pick<Sessions, 'stillLive'>,
  ) {
    this.site = new SiteSessions(
      box,
      {
        cookieName: 'passgate.selfservice',
        cookiePath: '/selfservice',
        secure,
        maxHoursLimit: SESSION_MAX_HOURS_LIMIT,
        found: sessions,
      },
      clock,
      lifetime,
      revoked,
      sso,
    );
  }

  /** Starts a session after a sign-in through the hosted login. */
  start(res: Response, result: FlowResult): SelfServiceSession {
    return this.site.start(res, {
      userId: result.userId,
      mfa: result.mfa,
      decision: result.decision
        ? { action: result.decision.action, rule: result.decision.rule }
        : { action: 'unknown', rule: 'unknown' },
      ...(result.session ? { sso: result.session.id } : {}),
    });
  }

  /** Reads the session of every request (renewing its idle timeout) for {@link sessionOf}. */
  middleware(): RequestHandler {
    return this.site.middleware();
  }

  /** Signs the browser out, and revokes the session for any copy of its cookie. */
  end(req: Request, res: Response): Promise<void> {
    return this.site.end(req, res);
  }

  /** Revokes a session (signed out, or replaced by a step-up) until its cookie cannot be valid. */
  revoke(session: Pick<SelfServiceSession, 'sid' | 'signedInAt'>): Promise<void> {
    return this.site.revoke(session);
  }

  /** Forgets revocations of sessions that can no longer be valid (the server's clean-up job). */
  prune(now: number): Promise<number> {
    return this.revoked.prune(now);
  }
}
