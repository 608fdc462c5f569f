import { randomBytes } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Clock } from '../../clock.js';
import { ADMIN_SESSION_MAX_HOURS_LIMIT } from '../../config/admin-schema.js';
import type { SecretBox } from '../../crypto/secret-box.js';
import type { Sessions } from '../../engine/sessions.js';
import type { RevokedSessionsRepository } from '../../store/repositories/revoked-sessions.js';
import { SealedCookie } from '../../web/sealed-cookie.js';

/** A signed-in administration browser: who, and the single sign-on session it belongs to. */
export interface AdminSession {
  /** Random id of this session (binds the CSRF tokens of its forms; revoked on sign-out). */
  sid: string;
  userId: string;
  signedInAt: number;
  /** The single sign-on session of the sign-in: when it ends anywhere, so does this one. */
  sso?: string;
  /** End of the idle time (moved forward by every request), never past the absolute limit. */
  expiresAt: number;
}

/** How long an administration session lives (`admin.sessionIdleMinutes`, `admin.sessionMaxHours`). */
export interface AdminSessionLifetime {
  idleMinutes: number;
  maxHours: number;
}

/** The cookie of the administration site's session, sent to `/admin` only. */
export const ADMIN_SESSION_COOKIE = 'passgate.admin';

const found = new WeakMap<Request, AdminSession>();

/** The session {@link AdminSessions.middleware} found for a request, if any. */
export function adminSessionOf(req: Request): AdminSession | undefined {
  return found.get(req);
}

/**
 * Administration sessions in a sealed cookie scoped to `/admin`, with a short idle time renewed
 * by each request and an absolute limit from the sign-in. Signing out revokes the session in the
 * store for every server process; a session whose single sign-on session ended (signed out or
 * revoked elsewhere, the user disabled) ends with it.
 */
export class AdminSessions {
  private readonly cookie: SealedCookie<AdminSession>;

  constructor(
    box: SecretBox,
    secure: boolean,
    private readonly clock: Clock,
    private readonly lifetime: AdminSessionLifetime,
    private readonly revoked: RevokedSessionsRepository,
    private readonly sso: Pick<Sessions, 'stillLive'>,
  ) {
    this.cookie = new SealedCookie(box, { name: ADMIN_SESSION_COOKIE, path: '/admin', secure });
  }

  /** Starts a session after a sign-in with a second factor. */
  start(res: Response, userId: string, sso: string | undefined): AdminSession {
    const now = this.clock();
    const session: AdminSession = {
      sid: randomBytes(18).toString('base64url'),
      userId,
      signedInAt: now,
      ...(sso ? { sso } : {}),
      expiresAt: this.expiry(now, now),
    };
    this.cookie.write(res, session, now);
    return session;
  }

  /** Reads the session of every `/admin` request (renewing its idle time) for {@link adminSessionOf}. */
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
      found.set(req, renewed);
      this.cookie.write(res, renewed, now);
      next();
    };
  }

  /** Signs the browser out and revokes the session for any copy of its cookie. */
  async end(req: Request, res: Response): Promise<void> {
    const session = found.get(req);
    found.delete(req);
    this.cookie.clear(res);
    if (session)
      await this.revoked.revoke(session.sid, session.signedInAt + ADMIN_SESSION_MAX_HOURS_LIMIT * 3_600_000);
  }

  private expiry(signedInAt: number, now: number): number {
    return Math.min(
      now + this.lifetime.idleMinutes * 60_000,
      signedInAt + this.lifetime.maxHours * 3_600_000,
    );
  }
}
