import { doubleCsrf } from 'csrf-csrf';
import type { Request, RequestHandler, Response } from 'express';

/** CSRF protection of the sites' forms. */
export interface CsrfProtection {
  /** Issues a token for a form (and sets its cookie). */
  token(req: Request, res: Response): string;
  /** Refuses a state-changing request without a matching token (403 CSRF_INVALID). */
  protect: RequestHandler;
}

/** Where a site's CSRF cookie lives. */
export interface CsrfCookieOptions {
  /** The cookie's name (without its `__Host-`/`__Secure-` prefix). */
  name?: string;
  /**
   * The path of the flow a request belongs to (e.g. `/login/<uid>`): each flow then keeps a
   * cookie of its own, and starting one (another tab) never replaces another's. Default `/`.
   */
  path?: (req: Request) => string;
}

/**
 * Double-submit CSRF tokens (csrf-csrf), HMAC-bound to a per-flow identifier such as the login
 * interaction id, under a secret derived from the master key. A site bound to another identifier
 * (the self-service session) takes a cookie name of its own, so that the two never overwrite
 * each other's cookie; a site with many flows at once (the hosted login) scopes the cookie to
 * each flow's path.
 */
export function createCsrfProtection(
  secrets: Buffer[],
  secureCookies: boolean,
  sessionIdentifier: (req: Request) => string,
  cookie: CsrfCookieOptions = {},
): CsrfProtection {
  const name = cookie.name ?? 'passgate.csrf';
  // `__Host-` requires Path=/; a per-flow path keeps the `__Secure-` guarantee.
  const prefix = cookie.path ? '__Secure-' : '__Host-';
  // Encoded once: every form and every post asks for them.
  const encodedSecrets = secrets.map((s) => s.toString('base64'));
  const { generateCsrfToken, doubleCsrfProtection } = doubleCsrf({
    getSecret: () => encodedSecrets,
    getSessionIdentifier: sessionIdentifier,
    cookieName: secureCookies ? `${prefix}${name}` : name,
    cookieOptions: { sameSite: 'lax', secure: secureCookies, path: '/', httpOnly: true },
    getCsrfTokenFromRequest: (req) =>
      (req.body as Record<string, unknown> | undefined)?._csrf as string | undefined,
    errorConfig: { statusCode: 403, message: 'invalid csrf token', code: 'CSRF_INVALID' },
  });
  return {
    token: (req, res) =>
      generateCsrfToken(req, res, {
        cookieOptions: {
          sameSite: 'lax',
          secure: secureCookies,
          httpOnly: true,
          path: cookie.path?.(req) ?? '/',
        },
      }),
    protect: doubleCsrfProtection,
  };
}
