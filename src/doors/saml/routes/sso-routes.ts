import { type Request, type Response, Router } from 'express';
import { loginPath } from '../../../login/browser-binding.js';
import type { BrowserSessions } from '../../../login/sessions.js';
import { SamlErrors } from '../errors.js';
import type { AuthnRequestValidator } from '../messages/authn-request.js';
import type { IncomingRequest } from '../messages/request-message.js';
import type { StatusResponseBuilder } from '../messages/status-response.js';
import { pickAcs } from '../service-providers/acs.js';
import { bindingRoutes, type RequestRoutesOptions } from './binding-routes.js';
import { samlErrorPage } from './error-page.js';
import { SAML_DOOR, type SamlFlowStart, type SamlFlows } from './flows.js';
import type { PostPage } from './post-page.js';
import { answerWithStatus } from './status-answer.js';

/** Longest RelayState accepted for IdP-initiated SSO (SPs such as Salesforce send a URL). */
const MAX_RELAY_STATE = 1024;

/** What the SSO endpoints need. */
export interface SsoRoutesOptions extends RequestRoutesOptions {
  requests: AuthnRequestValidator;
  statusResponses: StatusResponseBuilder;
  flows: SamlFlows;
  /** The page that posts a status response to the SP. */
  postPage: PostPage;
  /** The browser's single sign-on session: a request it can answer gets no sign-in. */
  sessions: Pick<BrowserSessions, 'reuse' | 'answer'>;
}

/**
 * The SSO endpoints: `/saml/sso` with the HTTP-Redirect (GET, signature over the raw query) and
 * HTTP-POST bindings, and `/saml/idp-init?sp=NAME` for IdP-initiated SSO. A valid request
 * is answered from the browser's single sign-on session when the session can (the policy applied
 * again; never with ForceAuthn), else becomes a flow and the browser goes to the hosted login
 * (303 to `/login/<uid>`), which asks only what is missing. A RequestedAuthnContext Passgate
 * cannot meet is answered NoAuthnContext at once; IsPassive, when the session cannot answer,
 * NoPassive (and a policy denial RequestDenied); an invalid request gets the error page with its
 * code, never a stack trace.
 */
export function createSsoRoutes(options: SsoRoutesOptions): Router {
  const { flows, clock } = options;
  const router = Router();

  const answer = async (req: Request, res: Response, incoming: IncomingRequest) => {
    const validated = await options.requests.validate(incoming, clock());
    const { sp, request, fields, claim } = validated;
    if (validated.level === undefined) {
      await claim.now();
      return answerWithStatus(options, req, res, sp, request, {
        status: 'noAuthnContext',
        reason: 'authn_context',
      });
    }
    const start: SamlFlowStart = {
      sp,
      request,
      stepUp: validated.stepUp,
      forceAuthn: validated.forceAuthn,
      requirements: { authnContext: fields.requestedAuthnContext, subject: fields.subject },
    };
    const outcome = await options.sessions.reuse(req, res, {
      door: SAML_DOOR,
      application: sp.name,
      applicationName: sp.settings.displayName,
      stepUp: validated.stepUp,
      fresh: validated.forceAuthn,
    });
    if (outcome.kind === 'answer') {
      const ask = { door: SAML_DOOR, application: sp.name };
      const { result, recordUse } = options.sessions.answer(req, outcome, ask);
      // The request's ID is claimed in the answer's transaction (a refusal claims it first).
      return flows.answerFromSession(req, res, start, result, outcome.user, recordUse, claim);
    }
    // Every other answer, and the sign-in a flow starts, claims the request's ID first.
    await claim.now();
    if (outcome.kind === 'deny') {
      const answer = { status: 'requestDenied', reason: 'denied', user: outcome.user } as const;
      return answerWithStatus(options, req, res, sp, request, answer);
    }
    if (validated.isPassive) {
      return answerWithStatus(options, req, res, sp, request, { status: 'noPassive', reason: 'passive' });
    }
    const uid = await flows.start(res, start);
    res.redirect(303, loginPath(uid));
  };

  bindingRoutes(router, '/saml/sso', options.maxBodyBytes, answer);

  router.get('/saml/idp-init', async (req, res) => {
    const name = typeof req.query.sp === 'string' ? req.query.sp : '';
    const sp = options.registry.named(name);
    if (!sp) throw SamlErrors.SAML_UNKNOWN_SP({ detail: `idp-init: no SP named ${JSON.stringify(name)}` });
    if (!sp.settings.idpInitiated)
      throw SamlErrors.SAML_IDP_INIT_NOT_ALLOWED({ detail: `idp-init: ${sp.name} does not allow it` });
    const relayState = req.query.RelayState;
    if (relayState !== undefined && (typeof relayState !== 'string' || relayState.length > MAX_RELAY_STATE))
      throw SamlErrors.SAML_REQUEST_MALFORMED({ detail: 'idp-init: RelayState is not one short string' });
    const uid = await flows.start(res, { sp, request: { acsUrl: pickAcs(sp).url, relayState } });
    res.redirect(303, loginPath(uid));
  });

  router.use(samlErrorPage(options.render, options.logger));
  return router;
}
