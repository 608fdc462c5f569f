import { randomBytes } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Clock } from '../clock.js';
import type { SecretBox } from '../crypto/secret-box.js';
import type { FlowResult } from '../protocols/login/flow.js';
import { SealedCookie } from './sealed-cookie.js';

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
 * Self-service sessions in a sealed cookie scoped to `/selfservice`: nothing to store or clean
 * up, an idle timeout renewed by each request, and an absolute limit. Signing out drops the
 * cookie; a copied cookie stays valid until its idle timeout, which is why that timeout is short.
 */
export class SelfServiceSessions {
  private readonly cookie: SealedCookie<SelfServiceSession>;

  constructor(
    box: SecretBox,
    secure: boolean,
    private readonly clock: Clock,
    private readonly lifetime: SessionLifetime,
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
      expiresAt: this.expiry(now, now),
    };
    this.cookie.write(res, session, now);
    return session;
  }

  /** Reads the session of every request (renewing its idle timeout) for {@link sessionOf}. */
  middleware(): RequestHandler {
    return (req: Request, res: Response, next: NextFunction) => {
      const now = this.clock();
      const session = this.cookie.read(req, now);
      if (session) {
        const renewed = { ...session, expiresAt: this.expiry(session.signedInAt, now) };
        sessions.set(req, renewed);
        this.cookie.write(res, renewed, now);
      }
      next();
    };
  }

  /** Signs the browser out. */
  end(req: Request, res: Response): void {
    sessions.delete(req);
    this.cookie.clear(res);
  }

  private expiry(signedInAt: number, now: number): number {
    return Math.min(
      now + this.lifetime.idleMinutes * 60_000,
      signedInAt + this.lifetime.maxHours * 3_600_000,
    );
  }
}
