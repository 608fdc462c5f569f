import path from 'node:path';
import type { Express } from 'express';
import { createDispatcher } from '../dispatch/create-dispatcher.js';
import type { Dispatcher } from '../dispatch/dispatcher.js';
import { LOAD_BALANCING_KIND } from '../dispatch/load-balancing-policy.js';
import { createReceiptsRouter } from '../dispatch/receipts-router.js';
import { pruneOidcPayloads } from '../doors/oidc/adapter.js';
import { createOidcDoor, type OidcDoor } from '../doors/oidc/door.js';
import { OIDC_ALGORITHMS, OIDC_KEY_PURPOSE } from '../doors/oidc/keys.js';
import { oidcLoginFlows } from '../doors/oidc/login-flows.js';
import { isOidcPath } from '../doors/oidc/provider.js';
import { createSamlDoor, type SamlDoor } from '../doors/saml/door.js';
import { createSamlSso } from '../doors/saml/routes/sso.js';
import { createSelfService } from '../doors/selfservice/create.js';
import type { Challenges } from '../engine/challenges.js';
import { FirstFactor } from '../engine/first-factor.js';
import type { Translate } from '../engine/passcode-message.js';
import { describeError } from '../errors.js';
import { createLoginRoutes } from '../login/routes.js';
import { clientAddress } from '../login/step.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { PACKAGE_ROOT } from '../paths.js';
import { AuthenticationPolicy } from '../policy/authentication/authentication-policy.js';
import { AUTHENTICATION_KIND } from '../policy/authentication/rule.js';
import { loadLoadBalancingPolicies } from '../policy/load-balancing-store.js';
import { PASSCODE_POLICY_KIND } from '../policy/passcode-policy.js';
import { PolicyStore } from '../policy/policy-store.js';
import { TOKEN_POLICY_KIND } from '../policy/token-policy.js';
import { ChallengesRepository } from '../store/repositories/challenges.js';
import { DeliveryAttemptsRepository } from '../store/repositories/delivery-attempts.js';
import { ThrottleRepository } from '../store/repositories/throttle.js';
import type { User } from '../store/repositories/users.js';
import { createWebApp } from '../web/app.js';
import { createCsrfProtection } from '../web/csrf.js';
import { loadTranslations } from '../web/i18n.js';
import { createRateLimiter } from '../web/rate-limit.js';
import { createPageRenderer } from '../web/render.js';
import { trustedProxyMatcher } from '../web/security.js';
import { composeSenderAndChallenges } from './compose-challenges.js';
import type { Core } from './core.js';
import { scheduleAdSync } from './sync-schedule.js';

/** The running application: its request handler and its background work. */
export interface Services {
  app: Express;
  oidc: OidcDoor;
  saml: SamlDoor;
  /** The second-factor engine API of the doors. */
  challenges: Challenges;
  dispatcher: Dispatcher;
  /** Checks beyond the database that /readyz runs (the directory). */
  readiness: Array<{ name: string; check: () => Promise<void> }>;
  /** Deletes what expired (the job the server runs every minute; tests run it at once). */
  cleanUp(): Promise<void>;
  /** Stops background jobs and closes gateway connections. */
  stop(): Promise<void>;
}

/**
 * The composition root: builds the whole object graph from the validated configuration.
 * Modules get what they need as arguments; nothing is a module-level singleton.
 */
export async function composeServices(
  core: Core,
  runtime: { publicUrl: string; logger: Logger; metrics: Metrics },
): Promise<Services> {
  const { config, database, clock, keys } = core;
  const { publicUrl, logger, metrics } = runtime;
  // The one decision of the Secure flag, for Passgate's cookies and oidc-provider's alike.
  const secureCookies = publicUrl.startsWith('https:');

  const seeded = await seedPolicies(core);
  if (seeded.length > 0) logger.info({ kinds: seeded }, 'policies seeded from the configuration');

  const created = await keys.ensureCurrent(OIDC_KEY_PURPOSE, OIDC_ALGORITHMS);
  if (created.length > 0) logger.info({ kids: created }, 'generated OIDC signing keys');

  const translations = await loadTranslations(
    path.join(PACKAGE_ROOT, 'locales'),
    config.i18n.defaultLanguage,
  );
  const render = createPageRenderer(
    path.join(PACKAGE_ROOT, 'views'),
    translations,
    config.mode === 'production',
  );

  const firstFactor = new FirstFactor(
    core.directory,
    core.throttle,
    core.audit,
    config.loginThrottle,
    (outcome) => metrics.logins.inc({ outcome }),
    logger,
  );

  const { dispatcher, sender, challenges } = composeChallenges(core, {
    logger,
    translate: (lng, key, options) => translations.i18n.t(key, { lng, ns: 'messages', ...options }),
  });

  const policy = composeAuthenticationPolicy(core, challenges);

  const oidc = await createOidcDoor({
    config,
    issuer: publicUrl,
    secureCookies,
    database,
    keys,
    users: core.users,
    cookieKeys: core.box.derive('oidc-cookies'),
    render,
    logger,
    clock,
    stepUp: {
      decide: async (accountId, context, stepUp) => {
        const user = await core.users.findById(accountId);
        if (!user || user.disabled || user.removedAt !== null) return undefined;
        return policy.decide(user, context, stepUp ? { stepUp } : {});
      },
      mfaSessionMinutes: config.policies.mfaSessionMinutes,
      now: clock,
      address: clientAddress,
    },
  });

  const saml = await createSamlDoor({ config, publicUrl, database, keys, box: core.box, logger, clock });
  const samlSso = createSamlSso(saml, {
    config,
    database,
    users: core.users,
    audit: core.audit,
    render,
    clock,
    logger,
    secureCookies,
  });

  const selfService = createSelfService({
    core,
    challenges,
    sender,
    dispatcher,
    translations,
    render,
    secureCookies,
    logger,
  });
  // One cookie per sign-in, on its own pages: a second sign-in (another tab) leaves the first's alone.
  const csrf = createCsrfProtection(
    core.box.derive('csrf'),
    secureCookies,
    (req) => String(req.params.uid ?? ''),
    {
      path: (req) => `/login/${encodeURIComponent(String(req.params.uid ?? ''))}`,
    },
  );
  const app = createWebApp({
    translations,
    render,
    secureCookies,
    assetsDir: path.join(PACKAGE_ROOT, 'views', 'assets'),
    isTrustedProxy: trustedProxyMatcher(config.server.trustedProxies),
    oidcHandler: oidc.handler,
    isOidcPath,
    logger,
    routers: [
      createRateLimiter(config.rateLimit, clientAddress, {
        refused: (entry) => metrics.rateLimited.inc({ entry }),
        remembered: (entry, addresses) => metrics.rateLimitAddresses.set({ entry }, addresses),
      }).router,
      createReceiptsRouter(dispatcher),
      saml.router,
      samlSso.router,
      selfService.router,
      createLoginRoutes({
        flows: [oidcLoginFlows(oidc.provider), samlSso.flows, selfService.flows],
        firstFactor,
        challenges,
        policy,
        users: core.users,
        render,
        csrf,
        language: (req, user) => translations.detect(req, preferredLanguage(user)),
        secureCookies,
        maxBodyBytes: config.server.maxBodyBytes,
      }),
    ],
  });

  const cleanUp = async () => {
    const now = clock();
    await pruneOidcPayloads(database.db, now);
    await saml.requestIds.prune(now);
    await samlSso.prune(now);
    await selfService.prune(now);
    await new ThrottleRepository(database.db).prune(now - 24 * 3600 * 1000);
    await core.passcodes.prune(now - 3600 * 1000);
    await new ChallengesRepository(database.db, clock).prune(now - 3600 * 1000);
    await new DeliveryAttemptsRepository(database.db, clock).prune(now - 90 * 24 * 3600 * 1000);
    await core.learnedTrust.prune();
    if ((await keys.prune()) > 0) await oidc.refreshKeys();
  };
  const timers = [
    every(config.oidc.keyRefreshSeconds * 1000, logger, 'signing-key refresh', async () => {
      if (await oidc.refreshKeys()) logger.info('signing keys changed: OIDC provider rebuilt');
      if (await saml.refreshKeys()) logger.info('SAML signing key changed');
    }),
    every(60_000, logger, 'clean-up', cleanUp),
  ];

  // AD synchronisation: a first run at start-up, then every intervalMinutes (full when due).
  const adSync =
    core.adSync && config.directory.type === 'ad' && config.directory.sync.enabled
      ? scheduleAdSync(
          core.adSync,
          core.audit,
          logger.child({ module: 'ad-sync' }),
          config.directory.sync.intervalMinutes,
        )
      : undefined;

  return {
    app,
    oidc,
    saml,
    challenges,
    dispatcher,
    readiness: [{ name: 'directory', check: () => core.directory.ping() }],
    cleanUp,
    stop: async () => {
      for (const timer of timers) clearInterval(timer);
      saml.stop();
      oidc.stop();
      await adSync?.stop();
      await dispatcher.close();
    },
  };
}

/**
 * The second-factor engine over the core: gateways and the dispatcher, the passcode sender and
 * the challenge API. Separate from the web so that tests and other doors can build it alone.
 */
export function composeChallenges(core: Core, runtime: { logger: Logger; translate: Translate }) {
  const { config, database, clock } = core;
  const dispatcher = createDispatcher({
    dispatch: config.dispatch,
    loadPolicies: (onInvalid) => loadLoadBalancingPolicies(core.policies, onInvalid),
    attempts: new DeliveryAttemptsRepository(database.db, clock),
    logger: runtime.logger,
    clock,
    dataDir: config.dataDir,
  });
  const { sender, challenges } = composeSenderAndChallenges(core, dispatcher, runtime.translate);
  return { dispatcher, sender, challenges };
}

/** The user's own language from the directory (AD preferredLanguage), if any. */
function preferredLanguage(user: User | undefined): string | null {
  const value = user?.attributes.preferredLanguage;
  return typeof value === 'string' ? value : null;
}

/** The Authentication Policy: rules from the store, facts from geo, learned trust and login history. */
export function composeAuthenticationPolicy(core: Core, challenges: Challenges): AuthenticationPolicy {
  const { clock, config } = core;
  return new AuthenticationPolicy({
    policies: core.policies,
    geo: core.geo,
    trust: core.learnedTrust,
    history: core.loginHistory,
    factorTypes: async (user) => (await challenges.offersFor(user)).map((offer) => offer.type),
    audit: core.audit,
    settings: config.policies,
    clock,
  });
}

/**
 * Stores the configuration's policy seeds for the kinds the database has none of yet (rules
 * last: they may name the others). Group names are not checked: a first start has no users yet.
 */
function seedPolicies(core: Core): Promise<string[]> {
  const { token, passcode, loadBalancing, authentication } = core.config.policies;
  const seeds = Object.entries({
    [TOKEN_POLICY_KIND]: token,
    [PASSCODE_POLICY_KIND]: passcode,
    [LOAD_BALANCING_KIND]: loadBalancing,
    [AUTHENTICATION_KIND]: authentication,
  });
  return new PolicyStore(core.policies).seed(
    Object.fromEntries(seeds.filter(([, policies]) => Object.keys(policies).length > 0)),
  );
}

function every(ms: number, logger: Logger, name: string, job: () => Promise<unknown>): NodeJS.Timeout {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    job()
      .catch((error) => logger.warn({ job: name, error: describeError(error) }, 'background job failed'))
      .finally(() => {
        running = false;
      });
  }, ms);
  timer.unref();
  return timer;
}
