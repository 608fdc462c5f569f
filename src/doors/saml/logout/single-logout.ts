import type { Request, Response } from 'express';
import type { Clock } from '../../../clock.js';
import type { Config } from '../../../config/load.js';
import type { Session, Sessions } from '../../../engine/sessions.js';
import type { BrowserSessions } from '../../../login/sessions.js';
import type { Logger } from '../../../observability/logger.js';
import type { LoginFlowsRepository } from '../../../store/repositories/login-flows.js';
import type { PageRenderer } from '../../../web/render.js';
import type { SamlIdp } from '../idp.js';
import type { ValidatedLogoutRequest } from '../messages/logout-request.js';
import { LogoutChain } from './logout-chain.js';

/** What `/saml/slo` needs to end a session and sign its applications out. */
export interface SingleLogout {
  chain: LogoutChain;
  /** The Passgate session a valid LogoutRequest ends (its SessionIndex, else the browser's cookie), or undefined. */
  sessionOf(
    req: Request,
    request: ValidatedLogoutRequest,
  ): Promise<Pick<Session, 'id' | 'userId'> | undefined>;
  /** Drops the browser's session cookie. */
  forget(res: Response): void;
  /** The browser's live session (its cookie), for a logout started at Passgate. */
  browserSession(req: Request): Promise<Pick<Session, 'id' | 'userId'> | undefined>;
  /** Passgate's origin: a logout started at Passgate must come from its own pages. */
  origin: string;
}

/** What single logout is built from. */
export interface SingleLogoutOptions {
  config: Config;
  flows: LoginFlowsRepository;
  sessions: Sessions;
  browserSessions: Pick<BrowserSessions, 'current' | 'forget'>;
  render: PageRenderer;
  clock: Clock;
  logger: Logger;
  publicUrl: string;
}

/**
 * Builds the SAML door's single logout. A LogoutRequest usually arrives cross-site (a POST
 * carries no SameSite=Lax cookie), so its session is found by the SessionIndex Passgate gave
 * that SP; without one, the browser's session is taken only when it signed that user in to that SP.
 */
export function createSingleLogout(idp: SamlIdp, options: SingleLogoutOptions): SingleLogout {
  const { sessions, browserSessions } = options;
  const chain = new LogoutChain({
    registry: idp.registry,
    flows: options.flows,
    sessions,
    requests: idp.outgoingLogoutRequests,
    responses: idp.logoutResponses,
    reader: idp.incomingLogoutResponses,
    render: options.render,
    clock: options.clock,
    logger: options.logger.child({ module: 'saml' }),
    hopLifetimeMs: options.config.saml.requestLifetimeSeconds * 1000,
  });
  return {
    chain,
    async sessionOf(req, request) {
      const { sp, fields } = request;
      const byIndex = await sessions.findByApplication('saml', sp.name, fields.sessionIndexes);
      if (byIndex) return byIndex;
      const current = await browserSessions.current(req);
      if (!current) return undefined;
      const applications = await sessions.applicationsOf(current.id);
      const signedIn = applications.some(
        (a) => a.door === 'saml' && a.application === sp.name && a.name_id === fields.nameId,
      );
      return signedIn ? current : undefined;
    },
    forget: (res) => browserSessions.forget(res),
    browserSession: (req) => browserSessions.current(req),
    origin: new URL(options.publicUrl).origin,
  };
}
