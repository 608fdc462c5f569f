import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../../../observability/logger.js';
import type { PageRenderer } from '../../../web/render.js';
import { SamlErrors } from '../errors.js';

/**
 * The error handler of the SAML endpoints: a refused request gets the error page with its code
 * (never a stack trace) and a log line with the internal detail; other errors go on.
 */
export function samlErrorPage(render: PageRenderer, logger: Logger) {
  return (error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (!SamlErrors.is(error)) return next(error);
    const level = error.status >= 500 ? 'error' : 'warn';
    logger[level]({ code: error.code, detail: error.message, reqId: req.id }, 'SAML request refused');
    render(req, 'error', { status: error.status, code: error.code, description: error.publicMessage })
      .then((html) => res.status(error.status).type('html').send(html))
      .catch(next);
  };
}
