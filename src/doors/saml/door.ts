import type { Door, DoorDefinition } from '../door.js';
import { SAML_RATE_LIMITED, samlPruneJobs } from './door-shape.js';
import { createSamlIdp } from './idp.js';
import { createSingleLogout } from './logout/single-logout.js';
import { createSamlSso } from './routes/sso.js';
import { spCatalogue } from './service-providers/sp-catalogue.js';
import type { SpRegistry } from './service-providers/sp-registry.js';

/** The running SAML door: the contract, and the registered service providers (tests read them). */
export interface SamlDoor extends Door {
  registry: SpRegistry;
}

/**
 * The SAML 2.0 identity provider door: `/saml/metadata`, `/saml/sso`, `/saml/idp-init` and
 * `/saml/slo`; its sign-ins run on the hosted login, its SPs come from `metadata/saml/`.
 */
export const samlDoor: DoorDefinition<'saml', SamlDoor> = {
  name: 'saml',
  async create({ core, engine, web, sessions, publicUrl, logger, clock }) {
    const { config } = core;
    const idp = await createSamlIdp({
      config,
      publicUrl,
      keys: core.keys,
      secrets: core.secrets,
      requestIds: core.repositories.samlRequestIds,
      logger,
      clock,
    });
    const logout = createSingleLogout(idp, {
      config,
      flows: core.repositories.loginFlows,
      sessions: engine.sessions,
      browserSessions: sessions,
      render: web.render,
      clock,
      logger,
      publicUrl,
    });
    const sso = createSamlSso(idp, {
      logout,
      config,
      flowsStore: core.repositories.loginFlows,
      users: core.users,
      audit: core.audit,
      sessions,
      render: web.render,
      pages: web.pages,
      clock,
      logger,
      secureCookies: web.secureCookies,
    });
    const certificate = () =>
      /<(?:ds:)?X509Certificate>([^<]+)</.exec(idp.metadata())?.[1]?.replace(/\s+/g, '');
    const catalogue = spCatalogue(idp.registry, {
      entityId: idp.endpoints.entityId,
      ssoUrl: idp.endpoints.ssoUrl,
      sloUrl: idp.endpoints.sloUrl,
      metadataUrl: `${publicUrl}/saml/metadata`,
      certificate,
    });
    return {
      registry: idp.registry,
      applications: async () => catalogue,
      routers: [idp.router, sso.router],
      rateLimited: SAML_RATE_LIMITED,
      loginFlows: sso.flows,
      pruneJobs: samlPruneJobs(core.repositories),
      reload: async () => idp.reload(),
      refreshKeys: async () => {
        if (await idp.refreshKeys()) logger.info('SAML keys changed: signing key or published certificates');
      },
      stop: async () => idp.stop(),
    };
  },
};
