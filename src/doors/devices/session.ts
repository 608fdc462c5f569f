import type { Request } from 'express';
import type { Clock } from '../../clock.js';
import { DEVICE_SITE_SESSION_MAX_HOURS_LIMIT } from '../../config/activesync-schema.js';
import type { SecretBox } from '../../crypto/secret-box.js';
import type { Sessions } from '../../engine/sessions.js';
import type { RevokedSessionsRepository } from '../../store/repositories/revoked-sessions.js';
import { type SiteSession, type SiteSessionLifetime, SiteSessions } from '../../web/site-sessions.js';

/** The cookie of the Device Provisioning site's session, sent to `/devices` only. */
export const DEVICE_SITE_COOKIE = 'passgate.devices';

const found = new WeakMap<Request, SiteSession>();

/** The session the site's middleware found for a request, if any (always one with a second factor). */
export function deviceSessionOf(req: Request): SiteSession | undefined {
  return found.get(req);
}

/**
 * The site's sessions, the same sealed cookies as the administration and self-service sites'
 * (idle time, absolute end, revoked on sign-out, ending with their single sign-on session),
 * scoped to `/devices`.
 */
export function deviceSiteSessions(
  box: SecretBox,
  secure: boolean,
  clock: Clock,
  lifetime: SiteSessionLifetime,
  revoked: RevokedSessionsRepository,
  sso: Pick<Sessions, 'stillLive'>,
): SiteSessions<SiteSession> {
  return new SiteSessions(
    box,
    {
      cookieName: DEVICE_SITE_COOKIE,
      cookiePath: '/devices',
      secure,
      maxHoursLimit: DEVICE_SITE_SESSION_MAX_HOURS_LIMIT,
      found,
    },
    clock,
    lifetime,
    revoked,
    sso,
  );
}
