import express, { type NextFunction, type Request, type Response, Router } from 'express';
import type { ResetSite } from '../../config/reset-schema.js';
import type { PasswordRules } from '../../directory/directory.js';
import { DirectoryErrors, passwordRefusal } from '../../directory/errors.js';
import { PassgateError } from '../../errors.js';
import { clientAddress } from '../../login/browser.js';
import type { CsrfProtection } from '../../web/csrf.js';
import { type ActionDeps, act } from './actions.js';
import { ResetErrors } from './errors.js';
import { type IdentifyDeps, identify } from './identify.js';
import type { ResetJourneys, VerifiedJourney } from './journey.js';
import { brandStylesheet, isForSite, type Logo, offers, type ResetAction } from './site.js';

/** Renders a page of a reset site in the site's language and look. */
export type SitePage = (
  req: Request,
  res: Response,
  view: string,
  locals: Record<string, unknown>,
  status?: number,
) => Promise<void>;

/** What a reset site's pages are built from (see createReset). */
export interface ResetSiteDeps {
  site: ResetSite;
  logo: Logo | undefined;
  journeys: ResetJourneys;
  identify: IdentifyDeps;
  actions: ActionDeps;
  passwordRules(username: string): Promise<PasswordRules>;
  page: SitePage;
  /** The language of a request's pages (the site's default when the browser names none we have). */
  language(req: Request): string;
  applicationName: string;
  csrf: { identify: CsrfProtection; journey: CsrfProtection };
  maxBodyBytes: number;
}

const journeys = new WeakMap<Request, VerifiedJourney>();

/** The verified journey {@link ResetSiteDeps.journeys} found for a request (binds its forms' CSRF tokens). */
export function journeyOf(req: Request): VerifiedJourney | undefined {
  return journeys.get(req);
}

/**
 * One reset site under its path (and host name, when it has one): the user name, then the
 * second factor on the hosted login, then a new password (the directory's rules shown first)
 * or an unlock, as the site offers. Every form carries a CSRF token; works without JavaScript.
 */
export function createResetSiteRouter(deps: ResetSiteDeps): Router {
  const { site } = deps;
  const router = Router();
  const form = express.urlencoded({ extended: false, limit: deps.maxBodyBytes, parameterLimit: 10 });
  router.use((req, _res, next) => next(isForSite(site, req) ? undefined : 'router'));

  router.get('/brand.css', (_req, res) => {
    res.type('text/css').set('Cache-Control', 'public, max-age=3600').send(brandStylesheet(site));
  });
  router.get('/logo', (_req, res) => {
    if (!deps.logo) return res.status(404).end();
    res.type(deps.logo.type).set('Cache-Control', 'public, max-age=3600').send(deps.logo.body);
  });

  const showIdentify = (req: Request, res: Response, username: string, error?: PassgateError) =>
    deps.page(
      req,
      res,
      'reset/identify',
      { csrfToken: deps.csrf.identify.token(req, res), username, error: error ? { code: error.code } : null },
      error?.status ?? 200,
    );

  router.get('/', (req, res) => showIdentify(req, res, ''));

  router.post('/', form, deps.csrf.identify.protect, async (req, res) => {
    const body = req.body as Record<string, unknown>;
    const username = typeof body.username === 'string' ? body.username.trim().slice(0, 256) : '';
    if (!username) return showIdentify(req, res, '', ResetErrors.RESET_NAME_MISSING());
    const outcome = await identify(deps.identify, site, username, {
      address: clientAddress(req),
      applicationName: deps.applicationName,
    });
    if (outcome.kind === 'throttled') {
      res.set('Retry-After', String(outcome.retryAfterSeconds));
      return showIdentify(req, res, username, ResetErrors.RESET_THROTTLED());
    }
    if (outcome.kind === 'neutral') return deps.page(req, res, 'reset/neutral', {});
    const next = await deps.journeys.start(res, { site: site.name, userId: outcome.user.id, username });
    res.redirect(303, next);
  });

  /** The request's verified journey, or the page that says it has ended. */
  const loadJourney = async (req: Request, res: Response, next: NextFunction) => {
    const journey = await deps.journeys.verified(site, req);
    if (!journey) return deps.page(req, res, 'reset/expired', {}, 400);
    journeys.set(req, journey);
    next();
  };

  const showVerified = async (
    req: Request,
    res: Response,
    journey: VerifiedJourney,
    error?: PassgateError,
  ) => {
    const rules = offers(site, 'reset') ? await deps.passwordRules(journey.username) : null;
    journeys.set(req, journey);
    await deps.page(
      req,
      res,
      'reset/verified',
      {
        csrfToken: deps.csrf.journey.token(req, res),
        username: journey.username,
        rules,
        offersReset: offers(site, 'reset'),
        offersUnlock: offers(site, 'unlock'),
        error: error ? { code: error.code } : null,
        refusal: DirectoryErrors.is(error, 'PASSWORD_REJECTED') ? passwordRefusal(error) : null,
      },
      error?.status ?? 200,
    );
  };

  router.get('/verified', loadJourney, async (req, res) => showVerified(req, res, journeyOf(req)!));

  const action = (name: ResetAction) => async (req: Request, res: Response) => {
    const journey = journeyOf(req)!;
    if (!offers(site, name)) throw ResetErrors.RESET_ACTION_NOT_OFFERED();
    const body = req.body as Record<string, unknown>;
    const password = typeof body.password === 'string' ? body.password.slice(0, 512) : '';
    if (name === 'reset') {
      if (!password) return showVerified(req, res, journey, ResetErrors.RESET_PASSWORD_MISSING());
      if (password !== body.confirm)
        return showVerified(req, res, journey, ResetErrors.RESET_PASSWORDS_DIFFER());
    }
    // Spent before it acts: two requests (or a copy of the cookie) never act twice.
    if (!(await deps.journeys.spend(journey))) return deps.page(req, res, 'reset/expired', {}, 400);
    try {
      await act(deps.actions, site, journey, name, {
        address: clientAddress(req),
        language: deps.language(req),
        ...(name === 'reset' ? { password } : {}),
      });
    } catch (error) {
      if (!(error instanceof PassgateError) || (error.status >= 500 && error.status !== 503)) throw error;
      // Refused (the rules, the directory away for a moment): the user may try again, in a journey renewed.
      return showVerified(req, res, await deps.journeys.renew(site, res, journey), error);
    }
    deps.journeys.forget(site, res);
    await deps.page(req, res, 'reset/done', { action: name });
  };

  router.post('/password', loadJourney, form, deps.csrf.journey.protect, action('reset'));
  router.post('/unlock', loadJourney, form, deps.csrf.journey.protect, action('unlock'));

  router.use(async (error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (!ResetErrors.is(error)) return next(error);
    try {
      await deps.page(req, res, 'reset/expired', { code: error.code }, error.status);
    } catch (failure) {
      next(failure);
    }
  });
  return router;
}
