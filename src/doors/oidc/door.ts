import type { Door, DoorDefinition } from '../door.js';
import { pruneOidcPayloads } from './adapter.js';
import { clientCatalogue } from './client-catalogue.js';
import { OIDC_ALGORITHMS, OIDC_KEY_PURPOSE } from './keys.js';
import { oidcLoginFlows } from './login-flows.js';
import { isOidcMachinePath, isOidcPath } from './provider.js';
import { createSwappableProvider } from './swappable-provider.js';

/**
 * The OpenID Connect door: oidc-provider answers its own paths (discovery, `/oidc/*`), its
 * sign-ins run on the hosted login, and a browser with a session is asked for more when the
 * Authentication Policy wants a step-up.
 */
export const oidcDoor: DoorDefinition<'oidc', Door> = {
  name: 'oidc',
  async create({ core, web, sessions, publicUrl, logger, clock }) {
    const { config, keys } = core;
    const created = await keys.ensureCurrent(OIDC_KEY_PURPOSE, OIDC_ALGORITHMS);
    if (created.length > 0) logger.info({ kids: created }, 'generated OIDC signing keys');
    const oidc = await createSwappableProvider({
      config,
      issuer: publicUrl,
      secureCookies: web.secureCookies,
      database: core.database,
      commits: core.repositories.commits,
      keys,
      users: core.users,
      cookieKeys: core.box.derive('oidc-cookies'),
      render: web.render,
      logger,
      clock,
      sessions,
    });
    const catalogue = clientCatalogue(oidc, publicUrl);
    return {
      ownedPaths: { owns: isOidcPath, handle: (req, res) => oidc.handler()(req, res) },
      // Clients calling the token endpoints carry no browser state: nothing of the sites runs for them.
      rawEndpoints: { owns: isOidcMachinePath, handle: (req, res) => oidc.handler()(req, res) },
      // The authorization request starts a sign-in; `/oidc/auth/:uid` (an interaction resuming) does not.
      rateLimited: [{ group: 'signInStart', paths: ['/oidc/auth'] }],
      loginFlows: oidcLoginFlows(oidc.provider, oidc.staged),
      // Sessions, grants, codes and tokens: each row expires with what it stands for.
      pruneJobs: [
        {
          name: 'oidc payloads',
          retentionMs: 0,
          prune: (olderThan) => pruneOidcPayloads(core.database.db, olderThan),
        },
      ],
      reload: oidc.reload,
      applications: async () => catalogue,
      refreshKeys: async () => {
        if (await oidc.refreshKeys()) logger.info('signing keys changed: OIDC provider rebuilt');
      },
      stop: async () => oidc.stop(),
    };
  },
};
