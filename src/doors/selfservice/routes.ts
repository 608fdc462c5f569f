import express, { type NextFunction, type Request, type Response, Router } from 'express';
import { PassgateError } from '../../errors.js';
import { auditAction, requireSignedIn, signedIn } from './current-user.js';
import type { SelfServiceDeps } from './deps.js';
import { addEnrolmentRoutes } from './enrol-routes.js';
import { SelfServiceErrors } from './errors.js';
import { showHome } from './home-page.js';
import { addMobileRoutes } from './mobile-routes.js';
import { addRemovalRoute } from './remove-route.js';
import { addSessionRoutes, signOutOfEverything } from './sessions-routes.js';

/**
 * The self-service site under `/selfservice`: a browser without a session is sent through the
 * hosted login (password and the second factor the policy asks for); a signed-in user sees their
 * sign-in methods and recent sign-ins, adds or removes an authenticator, changes their mobile
 * number (where allowed), sees and ends their sessions, and signs out. Every
 * form post carries a CSRF token bound to the session.
 */
export function createSelfServiceRouter(deps: SelfServiceDeps): Router {
  const router = Router();
  const form = express.urlencoded({ extended: false, limit: deps.maxBodyBytes, parameterLimit: 20 });
  router.use('/selfservice', deps.sessions.middleware());

  router.get('/selfservice', async (req, res) => {
    const who = await signedIn(deps, req, res);
    if (!who) return deps.flows.start(res);
    await showHome(deps, req, res, who);
  });

  router.get('/selfservice/signed-out', async (req, res) => {
    res.type('html').send(await deps.render(req, 'selfservice/signed-out', { expired: false }));
  });

  router.post('/selfservice/signout', form, deps.csrf.protect, async (req, res) => {
    const who = await signedIn(deps, req, res);
    if (who) await auditAction(deps, req, who, 'selfservice.signout', 'success', {});
    await signOutOfEverything(deps, req, res, who);
  });

  // Signs the session's user in again, with a second factor whatever the network (to enrol).
  router.post('/selfservice/step-up', form, deps.csrf.protect, async (req, res) => {
    const who = await requireSignedIn(deps, req, res);
    await deps.flows.start(res, who.session);
  });

  addEnrolmentRoutes(router, deps, form);
  addRemovalRoute(router, deps, form);
  addMobileRoutes(router, deps, form);
  addSessionRoutes(router, deps, form);

  router.use(async (error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (!(error instanceof PassgateError) || error.status >= 500 || !req.path.startsWith('/selfservice'))
      return next(error);
    try {
      const who = !SelfServiceErrors.is(error, 'SELFSERVICE_SIGNED_OUT') && (await signedIn(deps, req, res));
      if (who) return await showHome(deps, req, res, who, error);
      const html = await deps.render(req, 'selfservice/signed-out', { expired: true });
      res.status(401).type('html').send(html);
    } catch (failure) {
      next(failure);
    }
  });
  return router;
}
