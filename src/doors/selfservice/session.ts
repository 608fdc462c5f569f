import { randomBytes } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Clock } from '../../clock.js';
import { SESSION_MAX_HOURS_LIMIT } from '../../config/selfservice-schema.js';
import type { SecretBox } from '../../crypto/secret-box.js';
import type { Sessions } from '../../engine/sessions.js';
import type { FlowResult } from '../../login/flow.js';
import type { RevokedSessionsRepository } from '../../store/repositories/revoked-sessions.js';
import { SealedCookie } from '../../web/sealed-cookie.js';

/** A signed-in self-service browser: who, and how the sign-in was proven. */
export interface SelfServiceSession {
  /** Random id of this session (binds the CSRF tokens of its forms). */
  sid: string;
  userId: string;
  /** A second factor was passed in the sign-in. */
  mfa: boolean;
  /**
   * What the Authentication Policy decided for the sign-in (whether a rule or learned trust let
   * the password alone through); `unknown` when the flow did not say, which counts as skipped.
   */
  decision: { action: string; rule: string };
  signedInAt: number;
  /** The single sign-on session the sign-in belongs to: when it ends (revoked anywhere), so does this one. */
  sso?: string;
  /** End of the idle timeout (moved forward by every request), never past the absolute limit. */
  expiresAt: number;
}

/** How long a session lives. */
export interface SessionLifetime {
  idleMinutes: number;
  maxHours: number;
}

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
  private readonly cookie: SealedCookie<SelfServiceSession>;

  constructor(
    box: SecretBox,
    secure: boolean,
    private readonly clock: Clock,
    private readonly lifetime: SessionLifetime,
    private readonly revoked: RevokedSessionsRepository,
    private readonly sso: Pick<Sessions, 'stillLive'>,
  ) {
    this.cookie = new SealedCookie(box, { name: 'passgate.selfservice', path: '/selfservice', secure });
  }

  /** Starts a session after a sign-in through the hosted login. */
  start(res: Response, result: FlowResult): SelfServiceSession {
    const now = this.clock();
    const session: SelfServiceSession = {
      sid: randomBytes(18).toString('base64url'),
      userId: result.userId,
      mfa: result.mfa,
      decision: result.decision
        ? { action: result.decision.action, rule: result.decision.rule }
        : { action: 'unknown', rule: 'unknown' },
      signedInAt: now,
      ...(result.session ? { sso: result.session.id } : {}),
      expiresAt: this.expiry(now, now),
    };
    this.cookie.write(res, session, now);
    return session;
  }

  /** Reads the session of every request (renewing its idle timeout) for {@link sessionOf}. */
  middleware(): RequestHandler {
    return async (req: Request, res: Response, next: NextFunction) => {
      const now = this.clock();
      const session = this.cookie.read(req, now);
      if (!session) return next();
      const expiresAt = this.expiry(session.signedInAt, now);
      if (
        expiresAt <= now ||
        (await this.revoked.isRevoked(session.sid)) ||
        (session.sso !== undefined && !(await this.sso.stillLive(session.sso)))
      ) {
        this.cookie.clear(res);
        return next();
      }
      const renewed = { ...session, expiresAt };
      sessions.set(req, renewed);
      this.cookie.write(res, renewed, now);
      next();
    };
  }

  /** Signs the browser out, and revokes the session for any copy of its cookie. */
  async end(req: Request, res: Response): Promise<void> {
    const session = sessions.get(req);
    sessions.delete(req);
    this.cookie.clear(res);
    if (session) await this.revoke(session);
  }

  /** Revokes a session (signed out, or replaced by a step-up) until its cookie cannot be valid. */
  revoke(session: Pick<SelfServiceSession, 'sid' | 'signedInAt'>): Promise<void> {
    return this.revoked.revoke(session.sid, session.signedInAt + SESSION_MAX_HOURS_LIMIT * 3_600_000);
  }

  /** Forgets revocations of sessions that can no longer be valid (the server's clean-up job). */
  prune(now: number): Promise<number> {
    return this.revoked.prune(now);
  }

  private expiry(signedInAt: number, now: number): number {
    return Math.min(
      now + this.lifetime.idleMinutes * 60_000,
      signedInAt + this.lifetime.maxHours * 3_600_000,
    );
  }
}
