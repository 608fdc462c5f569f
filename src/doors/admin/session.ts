import type { Request, RequestHandler, Response } from 'express';
import type { Clock } from '../../clock.js';
import { ADMIN_SESSION_MAX_HOURS_LIMIT } from '../../config/admin-schema.js';
import type { SecretBox } from '../../crypto/secret-box.js';
import type { Sessions } from '../../engine/sessions.js';
import type { RevokedSessionsRepository } from '../../store/repositories/revoked-sessions.js';
import { type SiteSession, type SiteSessionLifetime, SiteSessions } from '../../web/site-sessions.js';

/** A signed-in administration browser: who, and the single sign-on session it belongs to. */
export type AdminSession = SiteSession;

/** How long an administration session lives (`admin.sessionIdleMinutes`, `admin.sessionMaxHours`). */
export type AdminSessionLifetime = SiteSessionLifetime;

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
  private readonly site: SiteSessions<AdminSession>;

  constructor(
    box: SecretBox,
    secure: boolean,
    clock: Clock,
    lifetime: AdminSessionLifetime,
    revoked: RevokedSessionsRepository,
    sso: Pick<Sessions, 'stillLive'>,
  ) {
    this.site = new SiteSessions(
      box,
      {
        cookieName: ADMIN_SESSION_COOKIE,
        cookiePath: '/admin',
        secure,
        maxHoursLimit: ADMIN_SESSION_MAX_HOURS_LIMIT,
        found,
      },
      clock,
      lifetime,
      revoked,
      sso,
    );
  }

  /** Starts a session after a sign-in with a second factor. */
  start(res: Response, userId: string, sso: string | undefined): AdminSession {
    return this.site.start(res, { userId, ...(sso ? { sso } : {}) });
  }

  /** Reads the session of every `/admin` request (renewing its idle time) for {@link adminSessionOf}. */
  middleware(): RequestHandler {
    return this.site.middleware();
  }

  /** Signs the browser out and revokes the session for any copy of its cookie. */
  end(req: Request, res: Response): Promise<void> {
    return this.site.end(req, res);
  }
}
