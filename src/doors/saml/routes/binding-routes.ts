import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import type { Clock } from '../../../clock.js';
import type { Logger } from '../../../observability/logger.js';
import type { AuditRepository } from '../../../store/repositories/audit.js';
import type { PageRenderer } from '../../../web/render.js';
import type { IncomingRequest } from '../messages/request-message.js';
import type { SpRegistry } from '../service-providers/sp-registry.js';

/** What every endpoint that takes SP requests (SSO, SLO) needs. */
export interface RequestRoutesOptions {
  registry: SpRegistry;
  audit: Pick<AuditRepository, 'record'>;
  render: PageRenderer;
  clock: Clock;
  logger: Logger;
  maxBodyBytes: number;
}

/** Answers one request read off its binding. */
export type RequestAnswer = (req: Request, res: Response, incoming: IncomingRequest) => Promise<unknown>;

/** The request as the HTTP-Redirect binding brings it: the raw query kept for its signature. */
export function redirectIncoming(req: Request): IncomingRequest {
  const mark = req.originalUrl.indexOf('?');
  const rawQuery = mark < 0 ? '' : req.originalUrl.slice(mark + 1);
  return { binding: 'redirect', query: req.query as Record<string, unknown>, rawQuery };
}

/**
 * Mounts `path` for both bindings, so SSO and SLO read them alike: GET (HTTP-Redirect, after
 * `before` when it does not answer itself) and POST (HTTP-POST, a bounded form body).
 */
export function bindingRoutes(
  router: Router,
  path: string,
  maxBodyBytes: number,
  answer: RequestAnswer,
  before?: RequestHandler,
): void {
  const form = express.urlencoded({ extended: false, limit: maxBodyBytes, parameterLimit: 10 });
  const get: RequestHandler = async (req, res) => {
    await answer(req, res, redirectIncoming(req));
  };
  if (before) router.get(path, before, get);
  else router.get(path, get);
  router.post(path, form, async (req, res) => {
    await answer(req, res, { binding: 'post', body: (req.body ?? {}) as Record<string, unknown> });
  });
}
