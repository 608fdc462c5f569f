import { randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';

/** The client address as established by the shell (trusted proxies resolved). */
export function clientAddress(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? '';
}

/** Cookie holding the browser's device id (for the "new device" condition). */
export const DEVICE_COOKIE = 'passgate.device';
const DEVICE_ID = /^[A-Za-z0-9_-]{24}$/;
const DEVICE_COOKIE_DAYS = 400; // the longest lifetime browsers keep a cookie

/** This browser's device id when it has one already. */
export function knownDeviceId(req: Request): string | undefined {
  const known = (req.cookies as Record<string, unknown> | undefined)?.[DEVICE_COOKIE];
  return typeof known === 'string' && DEVICE_ID.test(known) ? known : undefined;
}

/** This browser's device id, set on its first visit. */
export function deviceId(req: Request, res: Response, secureCookies: boolean): string {
  const known = knownDeviceId(req);
  if (known) return known;
  const id = randomBytes(18).toString('base64url');
  // Also for the rest of this request: a later step asks again and must get the same id.
  if (req.cookies) (req.cookies as Record<string, unknown>)[DEVICE_COOKIE] = id;
  res.cookie(DEVICE_COOKIE, id, {
    httpOnly: true,
    sameSite: 'lax',
    secure: secureCookies,
    path: '/',
    maxAge: DEVICE_COOKIE_DAYS * 24 * 3600 * 1000,
  });
  return id;
}
