import express, { type NextFunction, type Request, type Response, Router } from 'express';
import type { RateLimitedRoutes } from '../config/rate-limit-schema.js';
import type { FirstFactor } from '../engine/first-factor.js';
import { PassgateError } from '../errors.js';
import type { LoginContext } from '../policy/authentication/authentication-policy.js';
import type { UsersRepository } from '../store/repositories/users.js';
import { WriteBatch } from '../store/write-batch.js';
import { languageSwitchBase } from '../web/render.js';
import type { PageSkeletons } from '../web/skeleton.js';
import { actOnDecision } from './decision.js';
import { LoginErrors } from './errors.js';
import type { LoginFlow } from './flow.js';
import { addSecondFactorRoutes } from './second-factor-routes.js';
import { answerFromSession } from './session-answer.js';
import { clientAddress, type DecisionDeps, deviceId, loadFlow } from './step.js';

/**
 * Refusals the user cannot fix by typing again: each gets a page of its own that says what to
 * do (wait or call the helpdesk; change the password) instead of an error above the form.
 */
const ACCOUNT_STATUS_CODES = new Set(['ACCOUNT_LOCKED', 'PASSWORD_EXPIRED', 'PASSWORD_MUST_CHANGE']);

/** The per-request values of the login page without an error (login/login.ejs prints each as it is). */
const LOGIN_PAGE_HOLES = ['uid', 'csrfToken', 'switchBase'] as const;
const LOGIN_PAGE_HOLES_WITH_USERNAME = [...LOGIN_PAGE_HOLES, 'username'] as const;

/** The hosted login pages, limited per address: showing them, posting a password or a second factor, unknown sign-ins alike. */
export const LOGIN_RATE_LIMITED: RateLimitedRoutes = {
  group: 'login',
  paths: ['/login/:uid', '/login/:uid/*rest'],
};

/** What the hosted login pages need. */
export interface LoginRoutesOptions extends DecisionDeps {
  firstFactor: FirstFactor;
  /** The login page is rendered once per language and application, then filled per request. */
  pages: PageSkeletons;
  users: UsersRepository;
  maxBodyBytes: number;
}

/**
 * The hosted login of every door, under `/login/:uid`: a door (OIDC, SAML ...) starts a flow,
 * the pages run the password step, then what the Authentication Policy decides (done, a second
 * factor, or a denial), and hand the result back to the door. A browser whose session already
 * proved the password and now needs more (step-up) goes straight to the second factor. The
 * pages only collect answers; the engine decides.
 */
export function createLoginRoutes(options: LoginRoutesOptions): Router {
  const { firstFactor, render, pages, csrf } = options;
  const router = Router();
  const form = express.urlencoded({ extended: false, limit: options.maxBodyBytes, parameterLimit: 20 });

  const showLogin = async (
    req: Request,
    res: Response,
    flow: LoginFlow,
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
    const uid = String(req.params.uid);
    const username = fields.username ?? '';
    if (fields.error) {
      const html = await render(req, 'login/login', {
        uid,
        csrfToken: csrf.token(req, res),
        clientName: flow.applicationName,
        username,
        error: { code: fields.error.code, message: fields.error.publicMessage },
      });
      res.status(fields.error.status).type('html').send(html);
      return;
    }
    // The page as it is shown first, filled per request. The template tests the username (which
    // field has the focus): an empty one is rendered in, a given one is a hole.
    const page = await pages.page(req, 'login/login', {
      fixed: {
        clientName: flow.applicationName,
        error: null,
        languageSwitch: true,
        ...(username ? {} : { username }),
      },
      filled: username ? LOGIN_PAGE_HOLES_WITH_USERNAME : LOGIN_PAGE_HOLES,
    });
    const values = { uid, csrfToken: csrf.token(req, res), switchBase: languageSwitchBase(req) };
    res
      .status(200)
      .type('html')
      .send(page.fill(username ? { ...values, username } : values));
  };

  /** The login's context: address, door, application and this browser's device id. */
  const contextOf = (req: Request, res: Response, flow: LoginFlow): LoginContext => ({
    address: clientAddress(req),
    door: flow.door,
    application: flow.application,
    applicationName: flow.applicationName,
    device: deviceId(req, res, options.secureCookies),
  });

  router.get('/login/:uid', async (req, res) => {
    const flow = await loadFlow(options, req, res);
    const sessionUser = flow.sessionUserId && (await options.users.findById(flow.sessionUserId));
    // Step-up: the session proved the password; the policy now wants a second factor (or denies).
    if (sessionUser) {
      try {
        return await actOnDecision(options, req, res, flow, sessionUser, contextOf(req, res, flow), true);
      } catch (error) {
        if (!(error instanceof PassgateError) || error.status === 500) throw error;
        return await showLogin(req, res, flow, { username: sessionUser.username, error });
      }
    }
    try {
      if (await answerFromSession(options, req, res, flow, contextOf(req, res, flow))) return;
    } catch (error) {
      if (!(error instanceof PassgateError) || error.status === 500) throw error;
      return await showLogin(req, res, flow, { error });
    }
    await showLogin(req, res, flow, { ...(flow.loginHint ? { username: flow.loginHint } : {}) });
  });

  router.post('/login/:uid', form, csrf.protect, async (req, res) => {
    const flow = await loadFlow(options, req, res);
    const body = req.body as Record<string, unknown>;
    const username = typeof body.username === 'string' ? body.username.slice(0, 256) : '';
    const password = typeof body.password === 'string' ? body.password.slice(0, 1024) : '';
    // The sign-in's writes that need not wait (the password's audit event) go with its last ones.
    const batch = new WriteBatch();
    try {
      const context = contextOf(req, res, flow);
      const user = await firstFactor.authenticate(username, password, context, undefined, batch);
      await actOnDecision(options, req, res, flow, user, context, false, batch);
    } catch (error) {
      await batch.commit();
      // 503 (directory or database unavailable) is told to the user too; only real faults go on.
      if (!(error instanceof PassgateError) || error.status === 500) throw error;
      await showLogin(req, res, flow, { username, error });
    }
  });

  router.post('/login/:uid/abort', form, csrf.protect, async (req, res) => {
    await (await loadFlow(options, req, res)).cancel(req, res);
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
