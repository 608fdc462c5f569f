import type { Router } from 'express';
import type { Clock } from '../../../clock.js';
import type { Config } from '../../../config/load.js';
import type { Logger } from '../../../observability/logger.js';
import type { Database } from '../../../store/database.js';
import type { AuditRepository } from '../../../store/repositories/audit.js';
import { SamlFlowsRepository } from '../../../store/repositories/saml-flows.js';
import type { UsersRepository } from '../../../store/repositories/users.js';
import type { PageRenderer } from '../../../web/render.js';
import type { SamlDoor } from '../door.js';
import { SamlFlows } from './flows.js';
import { createSloRoutes } from './slo-routes.js';
import { createSsoRoutes } from './sso-routes.js';

/** What the SSO side of the SAML door needs besides the door. */
export interface SamlSsoOptions {
  config: Config;
  database: Database;
  users: Pick<UsersRepository, 'findById'>;
  audit: Pick<AuditRepository, 'record'>;
  render: PageRenderer;
  clock: Clock;
  logger: Logger;
  secureCookies: boolean;
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
export function createSamlSso(door: SamlDoor, options: SamlSsoOptions): SamlSso {
  const { config, clock, render } = options;
  const store = new SamlFlowsRepository(options.database.db);
  const flows = new SamlFlows({
    registry: door.registry,
    store,
    responses: door.responses,
    statusResponses: door.statusResponses,
    users: options.users,
    nameIds: door.nameIds,
    audit: options.audit,
    render,
    clock,
    lifetimeSeconds: config.saml.requestLifetimeSeconds,
    secureCookies: options.secureCookies,
  });
  const router = createSsoRoutes({
    registry: door.registry,
    requests: door.requests,
    statusResponses: door.statusResponses,
    flows,
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
      audit: options.audit,
      render,
      clock,
      logger: options.logger.child({ module: 'saml' }),
      maxBodyBytes: config.server.maxBodyBytes,
    }),
  );
  return { router, flows, prune: (now) => store.prune(now) };
}
