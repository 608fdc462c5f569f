import type { Request } from 'express';
import type { Translations } from './i18n.js';

/** What the sites answer for an error: the HTTP status and the code the error page keys on. */
export interface PublicError {
  status: number;
  code: string;
}

/**
 * Says whose fault an error is. A code the pages can explain (CSRF_INVALID, a module's code) is
 * kept; otherwise a 503 is "temporarily unavailable" (the database or directory is away), a 5xx is the server's, a 403 or 404 is "no such page" (express.static answers
 * 403 to a traversal or dotfile: there is nothing to see there), and every other 4xx (bad
 * %-encoding, an unparsable body) is a malformed request, never "something went wrong on our side".
 */
export function publicErrorOf(error: unknown, translations: Translations): PublicError {
  const status = httpStatusOf(error);
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && translations.i18n.exists(`common:errors.${code}`)) return { status, code };
  if (status === 503) return { status, code: 'temporarily_unavailable' };
  if (status >= 500) return { status, code: 'server_error' };
  if (status === 413) return { status, code: 'payload_too_large' };
  if (status === 403 || status === 404) return { status: 404, code: 'not_found' };
  return { status, code: 'bad_request' };
}

/** Whether the client asked for JSON rather than a page (an API client, a script). */
export function wantsJson(req: Request): boolean {
  return req.accepts(['html', 'json']) === 'json';
}

/** The JSON body of an error, in the request's language, in the OAuth style (`error`, `error_description`). */
export function errorJson(req: Request, error: PublicError, translations: Translations) {
  const lng = translations.detect(req);
  return {
    error: error.code,
    error_description: translations.i18n.t(`common:errors.${error.code}`, { lng }),
  };
}

function httpStatusOf(error: unknown): number {
  const candidate = (error as { status?: unknown; statusCode?: unknown } | null) ?? {};
  const status = Number(candidate.status ?? candidate.statusCode);
  return Number.isInteger(status) && status >= 400 && status < 600 ? status : 500;
}
