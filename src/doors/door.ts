import type { Request, Router } from 'express';
import type { Clock } from '../clock.js';
import type { Config } from '../config/load.js';
import type { RateLimitedRoutes } from '../config/rate-limit-schema.js';
import type { LoginFlowSource } from '../login/flow.js';
import type { BrowserSessions } from '../login/sessions.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { SimulatorDeps } from '../policy/authentication/simulate.js';
import type { OwnedPaths, RawEndpoints } from '../web/app.js';
import type { CsrfCookieOptions, CsrfProtection } from '../web/csrf.js';
import type { Translations } from '../web/i18n.js';
import type { PageRenderer } from '../web/render.js';
import type { PageSkeletons } from '../web/skeleton.js';
import type { ApplicationCatalogue } from './applications.js';
import type { Core, Engine } from './core.js';

/**
 * A door as the server runs it: what it adds to the web app or the network, and the hooks the
 * server calls for every door alike. Every member is optional: a door has only what it needs,
 * and the server never asks which door it is holding.
 */
export interface Door {
  /** The door's web endpoints, mounted in order (after the engine's, before the hosted login). */
  routers?: Router[];
  /** Its unauthenticated entry points (where a sign-in starts ...), limited per address before any work. */
  rateLimited?: RateLimitedRoutes[];
  /** Request paths answered by a handler of the door's own, before every router (oidc-provider's): no router may answer them. */
  ownedPaths?: OwnedPaths;
  /**
   * Machine-to-machine endpoints answered before the sites' middleware (no cookies, language,
   * forms or sessions): the same security headers and Host check, and nothing else in front.
   */
  rawEndpoints?: RawEndpoints;
  /** Starts a listener of the door's own (RADIUS on UDP ...) once the web app is up; `stop` closes it. */
  listen?(): Promise<void>;
  /** The door's sign-ins that the hosted login pages (`/login/:uid`) carry out. */
  loginFlows?: LoginFlowSource;
  /** What the door keeps and must forget, run by the server's clean-up scheduler with the engine's. */
  pruneJobs?: PruneJob[];
  /** Background work on a period, run by the server's scheduler on one worker only (like the clean-up). */
  scheduledJobs?: ScheduledDoorJob[];
  /** Re-reads the door's application metadata (SIGHUP; the door may also watch its own folder). */
  reload?(): Promise<void>;
  /** Picks up signing keys rotated by `passgate keys rotate` or pruned (every `oidc.keyRefreshSeconds`). */
  refreshKeys?(): Promise<void>;
  /** Checks `/readyz` runs besides the server's own (database, directory). */
  health?: HealthCheck[];
  /** The applications of the door's metadata folder, for the administration site (loads a deferred door). */
  applications?(): Promise<ApplicationCatalogue | undefined>;
  /** Stops the door's background work (watches, timers) and closes its listener. */
  stop?(): Promise<void>;
  /** Loads what the door deferred (see deferred-door.ts); the server calls it once, right after ready. */
  warmUp?(): Promise<void>;
}

/** A door's periodic job (password-expiry reminders ...): one worker runs it, failures are logged. */
export interface ScheduledDoorJob {
  /** Names the job in logs. */
  name: string;
  everyMs: number;
  run(): Promise<void>;
}

/** One kind of stored row that expires, and how to delete it: the clean-up scheduler runs it every minute. */
export interface PruneJob {
  /** Names the job in logs, e.g. `saml request ids`. */
  name: string;
  /**
   * How long rows are kept past their expiry, in ms (0: deleted once expired); from the
   * configuration's `retention` section where an operator may choose it.
   */
  retentionMs: number;
  /** Deletes what expired before `olderThan` (now minus the retention). */
  prune(olderThan: number): Promise<unknown>;
}

/** A readiness check: resolves when the part is usable, rejects (with a reason) when not. */
export interface HealthCheck {
  /** The key of the check in `/readyz`'s answer. */
  name: string;
  check(): Promise<void>;
}

/** The web parts the server builds once for every site: pages, languages, cookies and forms. */
export interface WebKit {
  translations: Translations;
  render: PageRenderer;
  /** Pages rendered once and filled per request (the login page, the SAML post page). */
  pages: PageSkeletons;
  /** Whether the public URL is https: cookies carry the Secure flag (decided once for every door). */
  secureCookies: boolean;
  /**
   * CSRF protection of a site's forms, under a secret derived from the master key for `purpose`,
   * bound to what `bind` returns (a flow id, a session id).
   */
  csrf(purpose: string, bind: (req: Request) => string, cookie?: CsrfCookieOptions): CsrfProtection;
}

/** What the server hands every door: everything built once, so that no door builds its own. */
export interface DoorContext {
  /** The store (every repository), keys, the directory and the configuration. */
  core: Core;
  /** The engine: dispatcher, passcode sender, challenges, first factor, Authentication Policy. */
  engine: Engine;
  web: WebKit;
  /**
   * The browser's single sign-on session, shared by every door: whether it answers an
   * application (`reuse`, `answered`), recording the applications it signed in to, ending it.
   */
  sessions: BrowserSessions;
  /** The external base URL (issuer, entity id and endpoint origin). */
  publicUrl: string;
  /** The policy simulator's read-only parts, built at first use: what `passgate policy test` runs. */
  policySimulator(): SimulatorDeps;
  logger: Logger;
  metrics: Metrics;
  clock: Clock;
  /** The application catalogues of the running doors (filled as the doors are created). */
  applications(): Promise<ApplicationCatalogue[]>;
}

/**
 * A door as the server's door list names it: the server creates each enabled door once, in list
 * order, and mounts what it returns. `Name` and `D` let the server type its map of running doors.
 */
export interface DoorDefinition<Name extends string = string, D extends Door = Door> {
  /** The door's name (the folder under src/doors/, the key in the server's map of doors). */
  name: Name;
  /** Whether the configuration turns the door on; absent: always on. */
  enabled?(config: Config): boolean;
  create(context: DoorContext): Promise<D>;
}
