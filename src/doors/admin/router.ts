import express, { type NextFunction, type Request, type Response, Router } from 'express';
import type { PassgateError } from '../../errors.js';
import type { UsersRepository } from '../../store/repositories/users.js';
import type { CsrfProtection } from '../../web/csrf.js';
import type { PageRenderer } from '../../web/render.js';
import { type Authorisation, authorise } from './authorize.js';
import { AdminErrors } from './errors.js';
import { type LayoutSource, layoutOf } from './layout.js';
import type { AdminFlows } from './login-flows.js';
import type { AdminPage, AdminRequest, AdminRoute, AdminSite } from './page.js';
import type { RoleMembers } from './roles.js';
import type { AdminSessions } from './session.js';
import { readUpload } from './upload.js';

/** What the site's router is built from (see createAdminSite). */
export interface AdminRouterDeps {
  site: AdminSite;
  pages: readonly AdminPage[];
  sessions: AdminSessions;
  flows: AdminFlows;
  users: UsersRepository;
  members: RoleMembers;
  render: PageRenderer;
  csrf: CsrfProtection;
  layout: LayoutSource;
  maxBodyBytes: number;
}

/**
 * The routes of the site that need no permission: the page shown after signing out, and signing
 * out itself (any signed-in user, also one without a role). Every other route is a page's and
 * declares its permission; the route table test checks that the router has no third kind.
 */
export const PUBLIC_ROUTES = ['GET /admin/signed-out', 'POST /admin/signout'] as const;

/**
 * The administration site under `/admin`: every page's routes behind the one authorisation check
 * (a browser without a session is sent through the hosted login, a user without a role or a role
 * without the route's permission gets 403 and nothing runs), and every form post behind the
 * session-bound CSRF token.
 */
export function createAdminRouter(deps: AdminRouterDeps): Router {
  const router = Router();
  const form = express.urlencoded({ extended: false, limit: deps.maxBodyBytes, parameterLimit: 500 });
  router.use('/admin', deps.sessions.middleware());

  router.get('/admin/signed-out', async (req, res) => {
    const expired = req.query.expired === '1';
    res.type('html').send(await deps.render(req, 'admin/signed-out', { expired }));
  });

  router.post('/admin/signout', form, deps.csrf.protect, async (req, res) => {
    await deps.sessions.end(req, res);
    res.redirect(303, '/admin/signed-out');
  });

  for (const page of deps.pages) for (const route of page.routes) mount(router, deps, route, form);

  router.use(async (error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (!AdminErrors.is(error) || !req.path.startsWith('/admin')) return next(error);
    try {
      await showError(deps, req, res, error);
    } catch (failure) {
      next(failure);
    }
  });
  return router;
}

function mount(router: Router, deps: AdminRouterDeps, route: AdminRoute, form: express.RequestHandler): void {
  const handler = async (req: Request, res: Response) => {
    const decided = await authorise(deps, req, res, route.permission);
    if (decided.outcome !== 'allowed') return refuse(deps, req, res, route, decided);
    if (route.upload) await readUpload(req, route.upload);
    if (route.method === 'post') await checkCsrf(deps.csrf, req, res);
    const request: AdminRequest = {
      req,
      res,
      admin: decided.admin,
      site: deps.site,
      render: async (view, locals = {}, status = 200) => {
        const layout = await layoutOf(deps.layout, req, res, decided.admin);
        res
          .status(status)
          .type('html')
          .send(await deps.render(req, `admin/${view}`, { ...locals, layout }));
      },
    };
    await route.handle(request);
  };
  if (route.method === 'post') router.post(route.path, form, handler);
  else router.get(route.path, handler);
}

/** Answers a request the check refused; writes nothing. */
async function refuse(
  deps: AdminRouterDeps,
  req: Request,
  res: Response,
  route: AdminRoute,
  decided: Exclude<Authorisation, { outcome: 'allowed' }>,
): Promise<void> {
  if (decided.outcome === 'signed-out') {
    if (route.method === 'get') return deps.flows.start(res);
    return void res.redirect(303, '/admin/signed-out?expired=1');
  }
  if (decided.outcome === 'not-administrator') {
    const html = await deps.render(req, 'admin/not-administrator', {
      name: decided.admin.user.displayName ?? decided.admin.user.username,
      csrfToken: deps.csrf.token(req, res),
    });
    return void res.status(403).type('html').send(html);
  }
  const layout = await layoutOf(deps.layout, req, res, decided.admin);
  const html = await deps.render(req, 'admin/error', { layout, code: 'ADMIN_FORBIDDEN' });
  res.status(403).type('html').send(html);
}

/** Runs the CSRF check of a form post (403 CSRF_INVALID before anything is written). */
function checkCsrf(csrf: CsrfProtection, req: Request, res: Response): Promise<void> {
  return new Promise((resolve, reject) => {
    csrf.protect(req, res, (error?: unknown) => (error ? reject(error) : resolve()));
  });
}

/** An error of the site on its page, within the layout when the administrator is known. */
async function showError(
  deps: AdminRouterDeps,
  req: Request,
  res: Response,
  error: PassgateError,
): Promise<void> {
  const decided = await authorise(deps, req, res, 'dashboard.read');
  const layout =
    decided.outcome === 'allowed' ? await layoutOf(deps.layout, req, res, decided.admin) : undefined;
  if (!layout) return void res.redirect(303, '/admin/signed-out?expired=1');
  res
    .status(error.status)
    .type('html')
    .send(await deps.render(req, 'admin/error', { layout, code: error.code }));
}
