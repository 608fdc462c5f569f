import type { Request, Response } from 'express';
import type { Config } from '../../config/load.js';
import type { DoorContext } from '../door.js';
import type { AuditChange } from './audit-change.js';
import type { GridPreferences } from './grid/preferences.js';
import type { Permission } from './permissions.js';
import type { SignedInAdmin } from './signed-in.js';
import type { UploadLimits } from './upload.js';

/**
 * One page (or section) of the administration site, in a file of its own under `pages/` and one
 * line in `ADMIN_PAGES` (pages/index.ts): its entry in the navigation and its routes, each
 * declaring the permission it needs. The site checks that permission before the handler runs.
 */
export interface AdminPage {
  /** Its entry in the navigation, shown to roles that hold `permission`; absent: not in the navigation. */
  nav?: { id: string; label: string; path: string; permission: Permission; order: number };
  routes: AdminRoute[];
  /**
   * Whether the site has the page under this configuration (absent: always), for a page about a
   * door the configuration may turn off: without it, it is neither in the navigation nor routed (404).
   */
  shownWhen?: (config: Config) => boolean;
}

/** One route of the administration site and the permission it needs. */
export interface AdminRoute {
  method: 'get' | 'post';
  /** An express path under `/admin`. */
  path: string;
  /** What the administrator's role must hold; without it the answer is 403 and nothing runs. */
  permission: Permission;
  /** A form that sends files (multipart/form-data): the most bytes it may have (see upload.ts). */
  upload?: UploadLimits;
  handle(request: AdminRequest): Promise<void>;
}

/** What a route handler is given: the request, its administrator, and the site's parts. */
export interface AdminRequest {
  req: Request;
  res: Response;
  admin: SignedInAdmin;
  site: AdminSite;
  /** Renders `views/admin/<view>.ejs` inside the site's layout (header, navigation, notices). */
  render(view: string, locals?: Record<string, unknown>, status?: number): Promise<void>;
}

/** A warning for the header (licence usage ...), in the administrator's language. */
export interface HeaderNotice {
  /** A key of the `admin` namespace and its values. */
  key: string;
  values?: Record<string, unknown>;
  level: 'warning' | 'error';
}

/** The site's parts every page may use. */
export interface AdminSite {
  /** Everything the server built (store, engine, web kit, clock, logger). */
  context: DoorContext;
  /** The one way to record a change (see audit-change.ts). */
  auditChange: AuditChange;
  /** Each administrator's columns per grid. */
  grids: GridPreferences;
  /** Translates a key of any namespace in a language. */
  t(language: string, key: string, values?: Record<string, unknown>): string;
  /** The language of a request. */
  language(req: Request): string;
}
