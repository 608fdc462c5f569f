import { type Request, type RequestHandler, type Response, Router } from 'express';
import { SamlErrors } from '../errors.js';
import type { SingleLogout } from '../logout/single-logout.js';
import type { LogoutRequestValidator, ValidatedLogoutRequest } from '../messages/logout-request.js';
import type { LogoutResponseBuilder } from '../messages/logout-response.js';
import type { IncomingRequest } from '../messages/request-message.js';
import type { ServiceProvider } from '../service-providers/service-provider.js';
import { bindingRoutes, type RequestRoutesOptions } from './binding-routes.js';
import { samlErrorPage } from './error-page.js';

/** What the single logout endpoint needs: the request checks, the answers, and single logout itself. */
export interface SloRoutesOptions extends RequestRoutesOptions, SingleLogout {
  logoutRequests: LogoutRequestValidator;
  logoutResponses: LogoutResponseBuilder;
}

/**
 * `/saml/slo`, HTTP-Redirect (GET) and HTTP-POST. A valid LogoutRequest (audit event
 * `saml.logout`) ends the Passgate session it names and runs the single logout chain to the
 * session's other SPs (logout-chain.ts), whose LogoutResponses come back here; the SP then gets a
 * signed LogoutResponse at the single logout service of its metadata, with its RelayState. With
 * no session to end it is answered Success at once. An SP without a service, Google (whose
 * sign-out is a plain redirect), and a GET without a request (`?sp=NAME` names the SP) are sent
 * to the SP file's `logoutRedirect`, else shown the "signed out" page; such a GET writes no audit row.
 */
export function createSloRoutes(options: SloRoutesOptions): Router {
  const { clock, render } = options;
  const router = Router();

  const answer = async (req: Request, res: Response, incoming: IncomingRequest) => {
    if (options.chain.isResponse(incoming)) return options.chain.answer(req, res, incoming);
    const request = await options.logoutRequests.validate(incoming, clock());
    await audit(req, request);
    const { sp } = request;
    const session = await options.sessionOf(req, request);
    if (session) {
      options.forget(res);
      const { id, relayState } = { id: request.fields.id, relayState: request.relayState ?? null };
      return options.chain.start(req, res, session, {
        sp: sp.name,
        requestId: id,
        binding: request.binding,
        relayState,
      });
    }
    const endpoint =
      sp.settings.profile === 'google'
        ? undefined
        : (sp.slo.find((e) => e.binding === request.binding) ?? sp.slo[0]);
    if (!endpoint) return leave(req, res, sp);
    const response = options.logoutResponses.build({
      sp,
      endpoint,
      inResponseTo: request.fields.id,
      relayState: request.relayState,
      now: clock(),
    });
    await options.chain.send(req, res, response, sp);
  };

  const audit = (req: Request, request: ValidatedLogoutRequest) =>
    options.audit.record({
      type: 'saml.logout',
      outcome: 'success',
      address: req.ip ?? null,
      details: {
        sp: request.sp.name,
        requestId: request.fields.id,
        nameId: request.fields.nameId ?? null,
        sessionIndexes: request.fields.sessionIndexes,
      },
    });

  /** No LogoutResponse to send: the SP's logoutRedirect (from its file only), or the page. */
  const leave = async (req: Request, res: Response, sp: ServiceProvider | undefined) => {
    res.set('Cache-Control', 'no-store');
    if (sp?.settings.logoutRedirect) return res.redirect(303, sp.settings.logoutRedirect);
    const html = await render(req, 'saml/signed-out', {});
    res.status(200).type('html').send(html);
  };

  /** A GET without a request or response: nothing was asked and nothing ends, so no audit row (anyone could write them by the thousand). */
  const withoutRequest: RequestHandler = async (req, res, next) => {
    if (req.query.SAMLRequest !== undefined || req.query.SAMLResponse !== undefined) return next();
    const sp = typeof req.query.sp === 'string' ? options.registry.named(req.query.sp) : undefined;
    await leave(req, res, sp);
  };

  bindingRoutes(router, '/saml/slo', options.maxBodyBytes, answer, withoutRequest);

  /**
   * `POST /saml/logout`: a logout started at Passgate (a sign-out form of its own pages) runs the
   * same chain to every SAML SP of the browser's session, then shows the "signed out" page. A
   * cross-site form carries no SameSite=Lax cookie, and a POST whose Origin is another site is refused.
   */
  router.post('/saml/logout', async (req, res) => {
    // Passgate's pages send no referrer, so browsers state their POSTs' Origin as `null`
    // (Fetch: referrer policy no-referrer): another site is told by its real origin or by
    // Sec-Fetch-Site, and its form would carry no SameSite=Lax cookie anyway.
    const origin = req.get('origin');
    const foreign = origin !== undefined && origin !== 'null' && origin !== options.origin;
    if (foreign || req.get('sec-fetch-site') === 'cross-site') {
      throw SamlErrors.SAML_REQUEST_MALFORMED({ detail: `logout posted from ${origin ?? 'another site'}` });
    }
    const session = await options.browserSession(req);
    options.forget(res);
    if (!session) return leave(req, res, undefined);
    await options.chain.start(req, res, session, null);
  });

  router.use(samlErrorPage(render, options.logger));
  return router;
}
