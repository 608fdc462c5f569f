import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';

/**
 * Cookie that binds a SAML flow to the browser that started it. One per flow: its path is the
 * flow's own `/login/<uid>`, so that several sign-ins in several tabs do not overwrite each other
 * and the cookie goes nowhere else.
 */
export const FLOW_COOKIE = 'passgate_saml_flow';

/** The path of a flow's pages, and of its cookie. */
export const flowPath = (uid: string) => `/login/${uid}`;

/**
 * Gives this browser a new random secret for flow `uid` and returns its hash, the only thing
 * stored: a flow's uid alone (in a URL, a log, a Referer) does not let another browser go on.
 */
export function bindBrowser(res: Response, uid: string, maxAgeMs: number, secure: boolean): string {
  const secret = randomBytes(32).toString('base64url');
  res.cookie(FLOW_COOKIE, secret, {
    httpOnly: true,
    // Lax: the SP's POST to /saml/sso is cross-site, but the redirect that follows is a top-level GET.
    sameSite: 'lax',
    secure,
    path: flowPath(uid),
    maxAge: maxAgeMs,
  });
  return hashSecret(secret);
}

/** Whether the request carries the secret whose hash is `secretHash`. */
export function browserHolds(req: Request, secretHash: string): boolean {
  const secret = (req.cookies as Record<string, unknown> | undefined)?.[FLOW_COOKIE];
  if (typeof secret !== 'string' || secret.length === 0 || secret.length > 100) return false;
  const given = Buffer.from(hashSecret(secret), 'hex');
  const expected = Buffer.from(secretHash, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Ends the binding once the flow is over. */
export function unbindBrowser(res: Response, uid: string, secure: boolean): void {
  res.clearCookie(FLOW_COOKIE, { httpOnly: true, sameSite: 'lax', secure, path: flowPath(uid) });
}

const hashSecret = (secret: string) => createHash('sha256').update(secret).digest('hex');
