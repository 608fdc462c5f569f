import type { Router } from 'express';
import type { Clock } from '../../../clock.js';
import type { Config } from '../../../config/load.js';
import { BrowserBinding } from '../../../login/browser-binding.js';
import type { BrowserSessions } from '../../../login/sessions.js';
import type { Logger } from '../../../observability/logger.js';
import type { AuditRepository } from '../../../store/repositories/audit.js';
import type { LoginFlowsRepository } from '../../../store/repositories/login-flows.js';
import type { UsersRepository } from '../../../store/repositories/users.js';
import type { PageRenderer } from '../../../web/render.js';
import type { PageSkeletons } from '../../../web/skeleton.js';
import type { SamlIdp } from '../idp.js';
import type { SingleLogout } from '../logout/single-logout.js';
import { SAML_DOOR, type SamlFlowState, SamlFlows } from './flows.js';
import { createPostPage } from './post-page.js';
import { createSloRoutes } from './slo-routes.js';
import { createSsoRoutes } from './sso-routes.js';

/** The cookie binding a SAML sign-in in progress to its browser (one per flow, path `/login/<uid>`). */
const SAML_FLOW_COOKIE = 'passgate_saml_flow';

/** What the SSO side of the SAML door needs besides the door. */
export interface SamlSsoOptions {
  config: Config;
  /** Sign-ins in progress of every door (this door reads and prunes its own). */
  flowsStore: LoginFlowsRepository;
  users: Pick<UsersRepository, 'findById'>;
  audit: Pick<AuditRepository, 'record' | 'recordIn'>;
  /** The browser's single sign-on session: answers requests it can, records the SPs signed in to. */
  sessions: BrowserSessions;
  render: PageRenderer;
  /** Pages rendered once and filled per answer (the post page). */
  pages: PageSkeletons;
  clock: Clock;
  logger: Logger;
  secureCookies: boolean;
  /** Single logout of `/saml/slo` (ends the session, signs its applications out). */
  logout: SingleLogout;
}

/** The SSO endpoints and the flows they start, for the composition root. */
export interface SamlSso {
  /** `/saml/sso` (GET, POST), `/saml/idp-init` and `/saml/slo`: mount it with the door's router. */
  router: Router;
  /** The LoginFlowSource of `/login/:uid` for SAML sign-ins. */
  flows: SamlFlows;
  /** Deletes expired flows (the clean-up job). */
  prune(now: number): Promise<number>;
}

/**
 * Builds SAML single sign-on over a door: flows last `saml.requestLifetimeSeconds`, request
 * bodies at most `server.maxBodyBytes`.
 */
export function createSamlSso(door: SamlIdp, options: SamlSsoOptions): SamlSso {
  const { config, clock, render } = options;
  const binding = new BrowserBinding<SamlFlowState>({
    door: SAML_DOOR,
    cookie: SAML_FLOW_COOKIE,
    lifetimeMs: config.saml.requestLifetimeSeconds * 1000,
    flows: options.flowsStore,
    clock,
    secureCookies: options.secureCookies,
  });
  const postPage = createPostPage(options.pages);
  const flows = new SamlFlows({
    registry: door.registry,
    binding,
    responses: door.responses,
    statusResponses: door.statusResponses,
    users: options.users,
    nameIds: door.nameIds,
    audit: options.audit,
    sessions: options.sessions.sessions,
    render,
    postPage,
    clock,
  });
  const router = createSsoRoutes({
    sessions: options.sessions,
    registry: door.registry,
    requests: door.requests,
    statusResponses: door.statusResponses,
    flows,
    postPage,
    audit: options.audit,
    render,
    clock,
    logger: options.logger.child({ module: 'saml' }),
    maxBodyBytes: config.server.maxBodyBytes,
  });
  router.use(
    createSloRoutes({
      registry: door.registry,
      logoutRequests: door.logoutRequests,
      logoutResponses: door.logoutResponses,
      ...options.logout,
      audit: options.audit,
      render,
      clock,
      logger: options.logger.child({ module: 'saml' }),
      maxBodyBytes: config.server.maxBodyBytes,
    }),
  );
  return { router, flows, prune: (now) => binding.prune(now) };
}
