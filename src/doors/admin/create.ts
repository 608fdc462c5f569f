import type { Request, Response, Router } from 'express';
import { BrowserBinding } from '../../login/browser-binding.js';
import type { FlowResult } from '../../login/flow.js';
import type { DoorContext } from '../door.js';
import { createAuditChange } from './audit-change.js';
import { GridPreferences } from './grid/preferences.js';
import { ADMIN_DOOR, ADMIN_FLOW_COOKIE, ADMIN_FLOW_MINUTES, AdminFlows } from './login-flows.js';
import type { AdminPage, AdminSite } from './page.js';
import { ADMIN_PAGES } from './pages/index.js';
import { roleMembers, roleOf } from './roles.js';
import { createAdminRouter } from './router.js';
import { seatNotices } from './seat-notices.js';
import { AdminSessions, adminSessionOf } from './session.js';

/** The administration site's parts, as its door hands them to the server. */
export interface AdminDoorParts {
  router: Router;
  flows: AdminFlows;
  /** The site's pages (and so its routes), for the route table test. */
  pages: readonly AdminPage[];
  site: AdminSite;
}

/** The administration site: its pages behind the roles, its session, its sign-ins. */
export function createAdminSite(
  context: DoorContext,
  allPages: readonly AdminPage[] = ADMIN_PAGES,
): AdminDoorParts {
  const { core, engine, web } = context;
  const { config, box, clock } = core;
  const pages = allPages.filter((page) => page.shownWhen?.(config) ?? true);
  const { translations } = web;
  const sessions = new AdminSessions(
    box,
    web.secureCookies,
    clock,
    { idleMinutes: config.admin.sessionIdleMinutes, maxHours: config.admin.sessionMaxHours },
    core.repositories.revokedSessions,
    engine.sessions,
  );
  const t = (language: string, key: string, values: Record<string, unknown> = {}) =>
    String(translations.i18n.t(key, { lng: language, ...values }));
  const members = roleMembers(config);
  const binding = new BrowserBinding<Record<string, never>>({
    door: ADMIN_DOOR,
    cookie: ADMIN_FLOW_COOKIE,
    uidPrefix: 'adm-',
    lifetimeMs: ADMIN_FLOW_MINUTES * 60_000,
    flows: core.repositories.loginFlows,
    clock,
    secureCookies: web.secureCookies,
  });
  const signInAudit = async (
    req: Request,
    result: FlowResult,
    outcome: 'success' | 'denied',
    reason?: string,
  ) => {
    const user = await core.users.findById(result.userId);
    await core.audit.record({
      type: 'admin.signin',
      outcome,
      reason: reason ?? null,
      userId: result.userId,
      username: user?.username ?? null,
      address: req.ip ?? null,
      details: {
        door: ADMIN_DOOR,
        amr: result.amr,
        mfa: result.mfa,
        ...(user ? { role: roleOf(members, user) ?? null } : {}),
      },
    });
  };
  const flows = new AdminFlows(
    binding,
    {
      signedIn: async (req: Request, res: Response, result: FlowResult) => {
        const user = await core.users.findById(result.userId);
        const role = user ? roleOf(members, user) : undefined;
        await signInAudit(
          req,
          result,
          role ? 'success' : 'denied',
          role ? undefined : 'no administration role',
        );
        sessions.start(res, result.userId, result.session?.id);
        res.redirect(303, '/admin');
      },
      refused: async (req: Request, res: Response, result: FlowResult) => {
        await signInAudit(req, result, 'denied', 'no second factor');
        res
          .status(403)
          .type('html')
          .send(await web.render(req, 'admin/needs-mfa', {}));
      },
    },
    () => t(translations.defaultLanguage, 'admin:title'),
  );
  const csrf = web.csrf('admin-csrf', (req) => adminSessionOf(req)?.sid ?? '', {
    name: 'passgate.admin.csrf',
  });
  const site: AdminSite = {
    context,
    auditChange: createAuditChange(core.audit),
    grids: new GridPreferences(core.repositories.gridPreferences),
    t,
    language: (req) => translations.detect(req),
  };
  const router = createAdminRouter({
    site,
    pages,
    sessions,
    flows,
    users: core.users,
    members,
    render: web.render,
    csrf,
    // Warnings in the header of every page: a seat pool at 90 % of its licence.
    layout: { pages, notices: [seatNotices(engine.seats)], csrf },
    maxBodyBytes: config.server.maxBodyBytes,
  });
  return { router, flows, pages, site };
}
