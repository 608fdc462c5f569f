import { randomBytes } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Clock } from '../clock.js';
import type { SecretBox } from '../crypto/secret-box.js';
import type { Sessions } from '../engine/sessions.js';
import type { RevokedSessionsRepository } from '../store/repositories/revoked-sessions.js';
import { SealedCookie } from './sealed-cookie.js';

/** What every site session holds, so one piece can renew, revoke and end the sessions of each site. */
export interface SiteSession {
  /** Random id of this session (binds the CSRF tokens of its forms; revoked on sign-out). */
  sid: string;
  userId: string;
  signedInAt: number;
  /** The single sign-on session of the sign-in: when it ends anywhere, so does this one. */
  sso?: string;
  /** End of the idle time (moved forward by every request), never past the absolute limit. */
  expiresAt: number;
}

/** How long a site session lives: an idle time renewed by each request, an absolute limit from the sign-in. */
export interface SiteSessionLifetime {
  idleMinutes: number;
  maxHours: number;
}

/** Where a site keeps its sessions: the cookie, the highest `maxHours` allowed, and the per-request map. */
export interface SiteSessionPlace<S extends SiteSession> {
  cookieName: string;
  cookiePath: string;
  secure: boolean;
  /** The largest `maxHours` the configuration allows: revocations are kept that long. */
  maxHoursLimit: number;
  /** The site's map from a request to the session its middleware found. */
  found: WeakMap<Request, S>;
}

/**
 * Sessions of one site in a sealed cookie scoped to its path, shared by the administration and
 * self-service sites so both renew, expire, revoke and follow their single sign-on session alike.
 * Signing out revokes the session in the store for every server process, until its cookie could
 * no longer be valid anyway.
 */
export class SiteSessions<S extends SiteSession> {
  private readonly cookie: SealedCookie<S>;
  private readonly found: WeakMap<Request, S>;
  private readonly maxHoursLimit: number;

  constructor(
    box: SecretBox,
    place: SiteSessionPlace<S>,
    private readonly clock: Clock,
    private readonly lifetime: SiteSessionLifetime,
    private readonly revoked: RevokedSessionsRepository,
    private readonly sso: Pick<Sessions, 'stillLive'>,
  ) {
    this.cookie = new SealedCookie(box, {
      name: place.cookieName,
      path: place.cookiePath,
      secure: place.secure,
    });
    this.found = place.found;
    this.maxHoursLimit = place.maxHoursLimit;
  }

  /** Starts a session holding the site's own fields, and writes its cookie. */
  start(res: Response, fields: Omit<S, 'sid' | 'signedInAt' | 'expiresAt'>): S {
    const now = this.clock();
    const session = {
      sid: randomBytes(18).toString('base64url'),
      ...fields,
      signedInAt: now,
      expiresAt: this.expiry(now, now),
    } as S;
    this.cookie.write(res, session, now);
    return session;
  }

  /** Reads the session of every request of the site (renewing its idle time) into the site's map. */
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
      this.found.set(req, renewed);
      this.cookie.write(res, renewed, now);
      next();
    };
  }

  /** Signs the browser out and revokes the session for any copy of its cookie. */
  async end(req: Request, res: Response): Promise<void> {
    const session = this.found.get(req);
    this.found.delete(req);
    this.cookie.clear(res);
    if (session) await this.revoke(session);
  }

  /** Revokes a session (signed out, or replaced) until its cookie cannot be valid. */
  revoke(session: Pick<SiteSession, 'sid' | 'signedInAt'>): Promise<void> {
    return this.revoked.revoke(session.sid, session.signedInAt + this.maxHoursLimit * 3_600_000);
  }

  private expiry(signedInAt: number, now: number): number {
    return Math.min(
      now + this.lifetime.idleMinutes * 60_000,
      signedInAt + this.lifetime.maxHours * 3_600_000,
    );
  }
}
