import type { Request, Response } from 'express';
import type { Clock } from '../../../clock.js';
import type { AuditRepository } from '../../../store/repositories/audit.js';
import type { User } from '../../../store/repositories/users.js';
import { SAML_STATUSES, type SamlStatus, type StatusResponseBuilder } from '../messages/status-response.js';
import type { ResponseRequestInfo } from '../response/response.js';
import type { ServiceProvider } from '../service-providers/service-provider.js';
import type { PostPage } from './post-page.js';

/** What answering an SP without an assertion needs. */
export interface StatusAnswerDeps {
  statusResponses: StatusResponseBuilder;
  audit: Pick<AuditRepository, 'record'>;
  postPage: PostPage;
  clock: Clock;
}

/** Why the SP gets no assertion: the status, the audit reason, and the user when there was one. */
export interface StatusAnswer {
  status: SamlStatus;
  reason: string;
  user?: User | undefined;
}

/**
 * Answers an SP's request without an assertion: the audit event `saml.response` (failure, with
 * the reason and the status), then the signed status response auto-posted to the SP, which shows
 * its own page. Used when the request is answered at once (NoPassive, NoAuthnContext) and when
 * a sign-in ends without one (AuthnFailed, RequestDenied, UnknownPrincipal).
 */
export async function answerWithStatus(
  deps: StatusAnswerDeps,
  req: Request,
  res: Response,
  sp: ServiceProvider,
  request: ResponseRequestInfo,
  answer: StatusAnswer,
): Promise<void> {
  const { user } = answer;
  await deps.audit.record({
    type: 'saml.response',
    outcome: 'failure',
    reason: answer.reason,
    ...(user ? { userId: user.id, username: user.username } : {}),
    address: req.ip ?? null,
    details: {
      sp: sp.name,
      status: SAML_STATUSES[answer.status].second.split(':').pop(),
      inResponseTo: request.id ?? null,
    },
  });
  const response = deps.statusResponses.build(sp, request, answer.status, deps.clock());
  await deps.postPage(req, res, response, sp.settings.displayName);
}
