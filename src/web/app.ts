import cookieParser from 'cookie-parser';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { describeError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import { errorJson, publicErrorOf, wantsJson } from './error-response.js';
import { rememberLanguage, type Translations } from './i18n.js';
import { doNotStore } from './no-store.js';
import type { PageRenderer } from './render.js';
import { isWellFormedHost, refuseMalformedHost, securityHeaders } from './security.js';

/**
 * Request paths a handler of its own answers, outside express routing (oidc-provider answers
 * its endpoints itself, and is rebuilt when signing keys rotate).
 */
export interface OwnedPaths {
  owns(path: string): boolean;
  handle(req: Request, res: Response): unknown;
}

/**
 * Machine-to-machine endpoints (oidc-provider's token, introspection, revocation) that the server
 * answers ahead of the sites' middleware: they use no page, cookie, language, form or session.
 */
export interface RawEndpoints {
  owns(path: string): boolean;
  handle(req: Request, res: Response): unknown;
}

/**
 * The entry of the raw endpoints, tried before the express application: the same security
 * headers, no-store and Host check as every site, then the owner's handler; `undefined` when no
 * endpoint owns the request (it goes on to the application).
 */
export function createRawEntry(options: {
  secureCookies: boolean;
  endpoints: RawEndpoints[];
}): (req: Request, res: Response) => Promise<unknown> | undefined {
  const headers = securityHeaders({ https: options.secureCookies });
  return (req, res) => {
    const owner = options.endpoints.find((endpoint) => endpoint.owns(req.path));
    // A malformed Host goes on to the application, which refuses it with the sites' error page.
    if (!owner || !isWellFormedHost(req.headers.host)) return undefined;
    return new Promise((resolve, reject) =>
      headers(req, res, (error?: unknown) => {
        if (error) return reject(error);
        res.setHeader('Cache-Control', 'no-store');
        resolve(owner.handle(req, res));
      }),
    );
  };
}

/** The parts the sites are assembled from. */
export interface WebAppOptions {
  translations: Translations;
  render: PageRenderer;
  /** Whether the public URL is https: cookies are Secure and browsers are told to stay on https. */
  secureCookies: boolean;
  /**
   * Paths that handlers of their own answer (a door knows its own, the shell none), after the
   * guards and before the sites' routers, which never answer them: an OIDC request does not walk
   * every site's routes first.
   */
  ownedPaths: OwnedPaths[];
  /**
   * Routes every request passes before the owned paths and the routers (the per-address rate
   * limits), mounted on the application's own router.
   */
  guards: Array<{ mount(router: Express): void }>;
  /** Folder served under /assets (style sheets, scripts of the pages). */
  assetsDir: string;
  /** Whether a peer address is a trusted reverse proxy (for req.ip and req.protocol). */
  isTrustedProxy: (address: string) => boolean;
  /** Routers of the sites and doors, mounted in order. */
  routers: express.Router[];
  logger: Logger;
}

/**
 * The express application behind the readiness shell: security headers on everything, language
 * detection on pages, the per-address rate limits, handlers of owned paths (oidc-provider), the sites' routers, and one error page.
 */
export function createWebApp(options: WebAppOptions): Express {
  const { render, logger } = options;
  const app = express();
  app.disable('x-powered-by');
  // No validators on pages: a 304 would let a cache keep what no-store forbids (assets keep theirs).
  app.set('etag', false);
  app.set('trust proxy', (address: string) => options.isTrustedProxy(address));
  app.use(securityHeaders({ https: options.secureCookies }));
  app.use(cookieParser());
  app.use('/assets', express.static(options.assetsDir, { index: false, maxAge: '1h', fallthrough: false }));
  app.use(doNotStore());
  app.use(refuseMalformedHost());
  app.use(rememberLanguage(options.translations, options.secureCookies));
  for (const guard of options.guards) guard.mount(app);
  for (const owned of options.ownedPaths)
    app.use((req, res, next) => (owned.owns(req.path) ? owned.handle(req, res) : next()));
  for (const router of options.routers) app.use(router);

  app.use(async (req: Request, res: Response) => {
    res
      .status(404)
      .type('html')
      .send(await render(req, 'error', { status: 404, code: 'not_found' }));
  });
  app.use(async (error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const { status, code } = publicErrorOf(error, options.translations);
    // 503: the database or the directory is away; expected in an outage, logged without a stack.
    if (status === 503) logger.warn({ code, detail: describeError(error), reqId: req.id }, 'unavailable');
    else if (status >= 500) logger.error({ err: error, reqId: req.id }, 'request failed');
    if (res.headersSent) return;
    if (status === 503) res.set('Retry-After', '5');
    if (wantsJson(req)) {
      res.status(status).json(errorJson(req, { status, code }, options.translations));
      return;
    }
    try {
      res
        .status(status)
        .type('html')
        .send(await render(req, 'error', { status, code }));
    } catch (renderError) {
      logger.error({ err: renderError }, 'error page failed to render');
      res.status(status).type('text').send('Error');
    }
  });
  return app;
}
