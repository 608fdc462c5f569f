import express, { type NextFunction, type Request, type Response, Router } from 'express';
import type { FirstFactor } from '../../engine/first-factor.js';
import { PassgateError } from '../../errors.js';
import type { LoginContext } from '../../policy/authentication/authentication-policy.js';
import type { UsersRepository } from '../../store/repositories/users.js';
import { REQUIRE_MFA, requestedStepUp, STEP_UP_CHECK } from './assurance.js';
import { actOnDecision, type DecisionDeps, deviceId } from './login-decision.js';
import { clientAddress, finishLogin, LoginErrors, loadLoginInteraction } from './login-step.js';
import { addSecondFactorRoutes } from './second-factor-routes.js';

/**
 * Refusals the user cannot fix by typing again: each gets a page of its own that says what to
 * do (wait or call the helpdesk; change the password) instead of an error above the form.
 */
const ACCOUNT_STATUS_CODES = new Set(['ACCOUNT_LOCKED', 'PASSWORD_EXPIRED', 'PASSWORD_MUST_CHANGE']);

/** What the hosted login pages need. */
export interface LoginRoutesOptions extends DecisionDeps {
  firstFactor: FirstFactor;
  users: UsersRepository;
  maxBodyBytes: number;
}

/**
 * The hosted login for OpenID Connect: oidc-provider's interaction, rendered under
 * `/login/:uid`. A password step, then what the Authentication Policy decides: done, a second
 * factor, or a denial. A browser whose session needs more for this application (step-up) goes
 * straight to the second factor. The pages only collect answers; the engine decides.
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
    if (fields.error && ACCOUNT_STATUS_CODES.has(fields.error.code)) {
      const html = await render(req, 'login/account-status', {
        uid: req.params.uid,
        csrfToken: csrf.token(req, res),
        code: fields.error.code,
      });
      res.status(fields.error.status).type('html').send(html);
      return;
    }
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

  /** The login's context: address, door, application and this browser's device id. */
  const contextOf = (req: Request, res: Response, clientId: string): LoginContext => ({
    address: clientAddress(req),
    door: 'oidc',
    application: clientId,
    device: deviceId(req, res, options.secureCookies),
  });

  /** Why this request wants MFA whatever the rules say (acr_values, the client's require_mfa). */
  const stepUpOf = async (params: Record<string, unknown>) => {
    const client = await provider().Client.find(String(params.client_id));
    const metadata = client?.metadata() as Record<string, unknown> | undefined;
    return requestedStepUp(params.acr_values, metadata?.[REQUIRE_MFA]);
  };

  router.get('/login/:uid', async (req, res) => {
    const details = await loadLoginInteraction(provider(), req, res);
    const clientId = String(details.params.client_id);
    const sessionUser =
      details.session?.accountId && (await options.users.findById(details.session.accountId));
    // Step-up: the session proved the password; the policy now wants a second factor (or denies).
    if (sessionUser && details.prompt.reasons.length === 1 && details.prompt.reasons[0] === STEP_UP_CHECK) {
      try {
        const stepUp = await stepUpOf(details.params);
        return await actOnDecision(options, req, res, sessionUser, contextOf(req, res, clientId), stepUp);
      } catch (error) {
        if (!(error instanceof PassgateError) || error.status === 500) throw error;
        return await showLogin(req, res, clientId, { username: sessionUser.username, error });
      }
    }
    const hint = typeof details.params.login_hint === 'string' ? details.params.login_hint : undefined;
    await showLogin(req, res, clientId, { ...(hint ? { username: hint } : {}) });
  });

  router.post('/login/:uid', form, csrf.protect, async (req, res) => {
    const details = await loadLoginInteraction(provider(), req, res);
    const clientId = String(details.params.client_id);
    const body = req.body as Record<string, unknown>;
    const username = typeof body.username === 'string' ? body.username.slice(0, 256) : '';
    const password = typeof body.password === 'string' ? body.password.slice(0, 1024) : '';
    try {
      const context = contextOf(req, res, clientId);
      const user = await firstFactor.authenticate(username, password, context);
      await actOnDecision(options, req, res, user, context, await stepUpOf(details.params));
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
