import path from 'node:path';
import type { Express, Request, Response } from 'express';
import { LOAD_BALANCING_KIND } from '../dispatch/load-balancing-policy.js';
import { createReceiptsRouter, RECEIPTS_RATE_LIMITED } from '../dispatch/receipts-router.js';
import type { ApplicationCatalogue } from '../doors/applications.js';
import type { Engine } from '../doors/core.js';
import type { DoorContext, WebKit } from '../doors/door.js';
import { createLoginRoutes, LOGIN_RATE_LIMITED } from '../login/routes.js';
import { BrowserSessions } from '../login/sessions.js';
import { clientAddress } from '../login/step.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { PACKAGE_ROOT } from '../paths.js';
import { AUTHENTICATION_KIND } from '../policy/authentication/rule.js';
import type { SimulatorDeps } from '../policy/authentication/simulate.js';
import { DEVICE_POLICY_KIND } from '../policy/device-policy.js';
import { PASSCODE_POLICY_KIND } from '../policy/passcode-policy.js';
import { PolicyStore } from '../policy/policy-store.js';
import { TOKEN_POLICY_KIND } from '../policy/token-policy.js';
import type { User } from '../store/repositories/users.js';
import { createRawEntry, createWebApp } from '../web/app.js';
import { createCsrfProtection } from '../web/csrf.js';
import { loadTranslations } from '../web/i18n.js';
import { createRateLimiter } from '../web/rate-limit.js';
import { compileTemplates, createPageRenderer } from '../web/render.js';
import { trustedProxyMatcher } from '../web/security.js';
import { pageSkeletons } from '../web/skeleton.js';
import { enginePruneJobs, every, runPruneJobs } from './clean-up.js';
import { composePolicySimulator } from './compose-simulator.js';
import type { Core } from './core.js';
import { DOORS, type NamedDoor, type RunningDoors } from './doors.js';
import { composeEngine } from './engine.js';
import { scheduleAdSync } from './sync-schedule.js';

/** The page templates (views/). */
const VIEWS_DIR = path.join(PACKAGE_ROOT, 'views');

/** The running application: its request handler, its doors and its background work. */
export interface Services {
  app: Express;
  /** Answers the doors' raw endpoints before `app`; `undefined`: not one of them, `app` answers. */
  raw(req: Request, res: Response): Promise<unknown> | undefined;
  /** The engine every door shares (built once). */
  engine: Engine;
  /** The enabled doors by name (tests reach a door's own parts through it). */
  doors: RunningDoors;
  /** Checks beyond the database that /readyz runs (the directory, the doors' own). */
  readiness: Array<{ name: string; check: () => Promise<void> }>;
  /** Deletes what expired (the job the server runs every minute; tests run it at once). */
  cleanUp(): Promise<void>;
  /** Re-reads every door's application metadata (SIGHUP). */
  reload(): Promise<void>;
  /** Loads what the doors deferred (their modules, compiled schemas): run once, right after ready. */
  warmUp(): Promise<void>;
  /** Stops background jobs and the doors, and closes gateway connections. */
  stop(): Promise<void>;
}

/**
 * The composition root: builds the engine once over the core, creates the enabled doors of
 * {@link DOORS} with it, mounts them, and runs their background work (clean-up, key refresh).
 * Modules get what they need as arguments; nothing is a module-level singleton.
 */
export async function composeServices(
  core: Core,
  runtime: {
    publicUrl: string;
    logger: Logger;
    metrics: Metrics;
    /** Whether this process runs the scheduled jobs (clean-up, AD sync): one worker of several does. */
    scheduledJobs?: boolean;
  },
): Promise<Services> {
  const { config, clock, keys } = core;
  const { publicUrl, logger, metrics, scheduledJobs = true } = runtime;

  const seeded = await seedPolicies(core);
  if (seeded.length > 0) logger.info({ kinds: seeded }, 'policies seeded from the configuration');

  metrics.observeSeats(() => core.seats.usage());
  core.attempts.observe({
    recorded: (door, result) => metrics.attempts.inc({ door, result }),
    dropped: (count) => metrics.attemptsDropped.inc(count),
  });
  const web = await composeWebKit(core, publicUrl);
  const engine = composeEngine(core, {
    publicUrl,
    logger,
    metrics,
    translate: (lng, key, options) => web.translations.i18n.t(key, { lng, ns: 'messages', ...options }),
  });
  const sessions = new BrowserSessions(engine.sessions, engine.sso, web.secureCookies);
  let simulator: SimulatorDeps | undefined;
  const policySimulator = () => (simulator ??= composePolicySimulator(core));
  const context: DoorContext = {
    core,
    engine,
    web,
    sessions,
    publicUrl,
    policySimulator,
    logger,
    metrics,
    clock,
    applications: async () =>
      (await Promise.all(running.map(({ door }) => door.applications?.()))).filter(
        (catalogue): catalogue is ApplicationCatalogue => catalogue !== undefined,
      ),
  };
  const running: NamedDoor[] = [];
  const doors: Record<string, NamedDoor['door']> = {};
  for (const definition of DOORS) {
    if (definition.enabled && !definition.enabled(config)) continue;
    const door = await definition.create(context);
    running.push({ name: definition.name, door });
    doors[definition.name] = door;
  }
  const each = <T>(pick: (door: NamedDoor['door']) => T | undefined): T[] =>
    running.flatMap(({ door }) => {
      const value = pick(door);
      return value === undefined ? [] : [value];
    });

  // One cookie per sign-in, on its own pages: a second sign-in (another tab) leaves the first's alone.
  const csrf = web.csrf('csrf', (req) => String(req.params.uid ?? ''), {
    path: (req) => `/login/${encodeURIComponent(String(req.params.uid ?? ''))}`,
  });
  const app = createWebApp({
    translations: web.translations,
    render: web.render,
    secureCookies: web.secureCookies,
    assetsDir: path.join(PACKAGE_ROOT, 'views', 'assets'),
    isTrustedProxy: trustedProxyMatcher(config.server.trustedProxies),
    ownedPaths: each((door) => door.ownedPaths),
    logger,
    guards: [
      createRateLimiter(
        config.rateLimit,
        [...each((door) => door.rateLimited).flat(), LOGIN_RATE_LIMITED, RECEIPTS_RATE_LIMITED],
        clientAddress,
        {
          refused: (entry) => metrics.rateLimited.inc({ entry }),
          remembered: (entry, addresses) => metrics.rateLimitAddresses.set({ entry }, addresses),
        },
      ),
    ],
    // The hosted login first: its pages are half of every sign-in, and each router a request
    // passes without an answer costs a turn of the event loop (no door routes under /login).
    routers: [
      createLoginRoutes({
        flows: each((door) => door.loginFlows),
        firstFactor: engine.firstFactor,
        challenges: engine.challenges,
        policy: engine.policy,
        sessions,
        users: core.users,
        render: web.render,
        pages: web.pages,
        csrf,
        language: (req, user) => web.translations.detect(req, preferredLanguage(user)),
        secureCookies: web.secureCookies,
        maxBodyBytes: config.server.maxBodyBytes,
      }),
      createReceiptsRouter(engine.dispatcher),
      ...each((door) => door.routers).flat(),
    ],
  });

  const refreshKeys = async () => {
    for (const refresh of each((door) => door.refreshKeys)) await refresh();
  };
  const pruneJobs = [
    ...enginePruneJobs(core, config.retention),
    ...each((door) => door.pruneJobs).flat(),
    // Retired signing keys leave once no token signed with them can be valid; doors then republish.
    {
      name: 'signing keys',
      retentionMs: 0,
      prune: async () => {
        if ((await keys.prune()) > 0) await refreshKeys();
      },
    },
  ];
  const cleanUp = () => runPruneJobs(pruneJobs, clock(), logger);
  const timers = [
    // Every worker holds the keys in memory: each refreshes its own.
    every(config.oidc.keyRefreshSeconds * 1000, logger, 'signing-key refresh', refreshKeys),
    // Each failing job is logged by the run itself; of several workers, one runs it.
    ...(scheduledJobs
      ? [
          every(config.retention.cleanUpIntervalSeconds * 1000, logger, 'clean-up', () => {
            metrics.cleanUpRuns.inc();
            return cleanUp().catch(() => undefined);
          }),
          ...each((door) => door.scheduledJobs)
            .flat()
            .map((job) => every(job.everyMs, logger, job.name, job.run)),
        ]
      : []),
  ];
  for (const listen of each((door) => door.listen)) await listen();

  // AD synchronisation of each directory: a first run at start-up, then every intervalMinutes (full when due).
  const adSyncs = scheduledJobs
    ? [...core.adSyncs].flatMap(([name, sync]) =>
        sync.config.sync.enabled
          ? [
              scheduleAdSync(
                sync,
                core.audit,
                logger.child({ module: 'ad-sync', directory: name }),
                sync.config.sync.intervalMinutes,
              ),
            ]
          : [],
      )
    : [];

  return {
    app,
    raw: createRawEntry({ secureCookies: web.secureCookies, endpoints: each((door) => door.rawEndpoints) }),
    engine,
    doors: doors as RunningDoors,
    readiness: [
      { name: 'directory', check: () => core.directory.ping() },
      ...each((door) => door.health).flat(),
    ],
    cleanUp,
    reload: async () => {
      for (const reload of each((door) => door.reload)) await reload();
    },
    warmUp: async () => {
      // The pages first (tens of ms), then what the doors deferred.
      if (config.mode === 'production') compileTemplates(VIEWS_DIR);
      web.translations.languageNames();
      for (const warmUp of each((door) => door.warmUp)) await warmUp();
    },
    stop: async () => {
      for (const timer of timers) clearInterval(timer);
      for (const stop of each((door) => door.stop)) await stop();
      for (const job of adSyncs) await job.stop();
      await engine.dispatcher.close();
    },
  };
}

/** Pages, languages, the Secure-cookie decision and CSRF protection, built once for every site. */
async function composeWebKit(core: Core, publicUrl: string): Promise<WebKit> {
  const { config, box } = core;
  // The one decision of the Secure flag, for Passgate's cookies and oidc-provider's alike.
  const secureCookies = publicUrl.startsWith('https:');
  const translations = await loadTranslations(
    path.join(PACKAGE_ROOT, 'locales'),
    config.i18n.defaultLanguage,
  );
  const render = createPageRenderer(VIEWS_DIR, translations, config.mode === 'production');
  return {
    translations,
    render,
    pages: pageSkeletons(render, (req) => translations.detect(req), config.mode === 'production'),
    secureCookies,
    csrf: (purpose, bind, cookie) => createCsrfProtection(box.derive(purpose), secureCookies, bind, cookie),
  };
}

/** The user's own language from the directory (AD preferredLanguage), if any. */
function preferredLanguage(user: User | undefined): string | null {
  const value = user?.attributes.preferredLanguage;
  return typeof value === 'string' ? value : null;
}

/**
 * Stores the configuration's policy seeds for the kinds the database has none of yet (rules
 * last: they may name the others). Group names are not checked: a first start has no users yet.
 */
function seedPolicies(core: Core): Promise<string[]> {
  const { token, passcode, loadBalancing, device, authentication } = core.config.policies;
  const seeds = Object.entries({
    [TOKEN_POLICY_KIND]: token,
    [PASSCODE_POLICY_KIND]: passcode,
    [LOAD_BALANCING_KIND]: loadBalancing,
    [DEVICE_POLICY_KIND]: device,
    [AUTHENTICATION_KIND]: authentication,
  });
  return new PolicyStore(core.policies).seed(
    Object.fromEntries(seeds.filter(([, policies]) => Object.keys(policies).length > 0)),
  );
}
