import { doubleCsrf } from 'csrf-csrf';
import type { Request, RequestHandler, Response } from 'express';

/** CSRF protection of the sites' forms. */
export interface CsrfProtection {
  /** Issues a token for a form (and sets its cookie). */
  token(req: Request, res: Response): string;
  /** Refuses a state-changing request without a matching token (403 CSRF_INVALID). */
  protect: RequestHandler;
}

/**
 * Double-submit CSRF tokens (csrf-csrf), HMAC-bound to a per-flow identifier such as the login
 * interaction id, under a secret derived from the master key. A site bound to another identifier
 * (the self-service session) takes a cookie name of its own, so that the two never overwrite
 * each other's cookie.
 */
export function createCsrfProtection(
  secrets: Buffer[],
  secureCookies: boolean,
  sessionIdentifier: (req: Request) => string,
  name = 'passgate.csrf',
): CsrfProtection {
  const { generateCsrfToken, doubleCsrfProtection } = doubleCsrf({
    getSecret: () => secrets.map((s) => s.toString('base64')),
    getSessionIdentifier: sessionIdentifier,
    cookieName: secureCookies ? `__Host-${name}` : name,
    cookieOptions: { sameSite: 'lax', secure: secureCookies, path: '/', httpOnly: true },
    getCsrfTokenFromRequest: (req) =>
      (req.body as Record<string, unknown> | undefined)?._csrf as string | undefined,
    errorConfig: { statusCode: 403, message: 'invalid csrf token', code: 'CSRF_INVALID' },
  });
  return { token: (req, res) => generateCsrfToken(req, res), protect: doubleCsrfProtection };
}
