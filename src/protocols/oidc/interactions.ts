import express, { type NextFunction, type Request, type Response, Router } from 'express';
import type { Challenges } from '../../engine/challenges.js';
import type { FirstFactor } from '../../engine/first-factor.js';
import { PassgateError } from '../../errors.js';
import {
  clientAddress,
  finishLogin,
  LoginErrors,
  type LoginStepDeps,
  loadLoginInteraction,
} from './login-step.js';
import { addSecondFactorRoutes, startSecondFactor } from './second-factor-routes.js';

/** What the hosted login pages need. */
export interface LoginRoutesOptions extends LoginStepDeps {
  firstFactor: FirstFactor;
  challenges: Challenges;
  /** `policies.requireMfa`: a second factor even for users without one. */
  requireMfa: boolean;
  maxBodyBytes: number;
}

/**
 * The hosted login for OpenID Connect: oidc-provider's interaction, rendered under
 * `/login/:uid`. A password step, then a second-factor step when the user has a second factor
 * (or one is required). The pages only collect answers; the engine decides.
 */
export function createLoginRoutes(options: LoginRoutesOptions): Router {
  const { provider, firstFactor, render, csrf } = options;
  const router = Router();
  const form = express.urlencoded({ extended: false, limit: options.maxBodyBytes, parameterLimit: 20 });

  const showLogin = async (
    req: Request,
    res: Response,
    clientId: string,
    fields: { username?: string; error?: PassgateError },
  ) => {
    const client = await provider().Client.find(clientId);
    const html = await render(req, 'login/login', {
      uid: req.params.uid,
      csrfToken: csrf.token(req, res),
      clientName: client?.clientName ?? clientId,
      username: fields.username ?? '',
      error: fields.error ? { code: fields.error.code, message: fields.error.publicMessage } : null,
    });
    res
      .status(fields.error?.status ?? 200)
      .type('html')
      .send(html);
  };

  router.get('/login/:uid', async (req, res) => {
    const details = await loadLoginInteraction(provider(), req, res);
    const hint = typeof details.params.login_hint === 'string' ? details.params.login_hint : undefined;
    await showLogin(req, res, String(details.params.client_id), { ...(hint ? { username: hint } : {}) });
  });

  router.post('/login/:uid', form, csrf.protect, async (req, res) => {
    const details = await loadLoginInteraction(provider(), req, res);
    const clientId = String(details.params.client_id);
    const body = req.body as Record<string, unknown>;
    const username = typeof body.username === 'string' ? body.username.slice(0, 256) : '';
    const password = typeof body.password === 'string' ? body.password.slice(0, 1024) : '';
    try {
      const context = { address: clientAddress(req), door: 'oidc', application: clientId };
      const user = await firstFactor.authenticate(username, password, context);
      const offers = await options.challenges.offersFor(user);
      if (offers.length === 0 && !options.requireMfa) {
        return await finishLogin(provider(), req, res, { login: { accountId: user.id, amr: ['pwd'] } });
      }
      await startSecondFactor(options, req, res, user, context);
    } catch (error) {
      // 503 (directory or database unavailable) is told to the user too; only real faults go on.
      if (!(error instanceof PassgateError) || error.status === 500) throw error;
      await showLogin(req, res, clientId, { username, error });
    }
  });

  router.post('/login/:uid/abort', form, csrf.protect, async (req, res) => {
    await loadLoginInteraction(provider(), req, res);
    await finishLogin(provider(), req, res, {
      error: 'access_denied',
      error_description: 'the user cancelled the sign-in',
    });
  });

  addSecondFactorRoutes(router, options, form);

  router.use((error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (!LoginErrors.is(error)) return next(error);
    render(req, 'error', { status: error.status, code: error.code, description: undefined })
      .then((html) => res.status(error.status).type('html').send(html))
      .catch(next);
  });
  return router;
}
