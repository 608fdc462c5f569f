import type { NextFunction, Request, Response } from 'express';
import type { FirstFactor } from '../../engine/first-factor.js';
import { PassgateError } from '../../errors.js';

/** The user name and password of a request's Basic credentials, or undefined when it has none. */
export function basicCredentials(
  header: string | undefined,
): { username: string; password: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon > 0 ? { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) } : undefined;
}

/**
 * Checks a device's Basic credentials with the engine's first factor (its lockout shield
 * included) before the request goes upstream: a wrong or throttled password is answered 401
 * here, so a device with an old password never reaches the directory past the shield's margin.
 */
export function checkCredentials(firstFactor: FirstFactor) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const credentials = basicCredentials(req.headers.authorization);
    const refuse = (status: number) => {
      if (status === 401) res.setHeader('WWW-Authenticate', 'Basic realm="ActiveSync"');
      res
        .status(status)
        .type('text')
        .send(status === 401 ? '401 Unauthorized\n' : '503 Service Unavailable\n');
    };
    if (!credentials) return refuse(401);
    try {
      await firstFactor.authenticate(credentials.username, credentials.password, {
        address: req.ip ?? req.socket.remoteAddress ?? '',
        door: 'activesync',
      });
    } catch (error) {
      if (!(error instanceof PassgateError)) return next(error);
      // The directory or the database is away: not the user's fault, the device retries later.
      return refuse(error.status === 503 ? 503 : 401);
    }
    next();
  };
}
