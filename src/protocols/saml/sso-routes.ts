import express, { type Request, type Response, Router } from 'express';
import type { Clock } from '../../clock.js';
import type { Logger } from '../../observability/logger.js';
import type { AuditRepository } from '../../store/repositories/audit.js';
import type { PageRenderer } from '../oidc/provider.js';
import { pickAcs } from './acs.js';
import type { AuthnRequestValidator } from './authn-request.js';
import { samlErrorPage } from './error-page.js';
import { SamlErrors } from './errors.js';
import { flowPath } from './flow-binding.js';
import type { SamlFlows } from './flows.js';
import type { IncomingRequest } from './request-message.js';
import type { SpRegistry } from './sp-registry.js';
import { answerWithStatus } from './status-answer.js';
import type { StatusResponseBuilder } from './status-response.js';

/** Longest RelayState accepted for IdP-initiated SSO (SPs such as Salesforce send a URL). */
const MAX_RELAY_STATE = 1024;

/** What the SSO endpoints need. */
export interface SsoRoutesOptions {
  registry: SpRegistry;
  requests: AuthnRequestValidator;
  statusResponses: StatusResponseBuilder;
  flows: SamlFlows;
  audit: Pick<AuditRepository, 'record'>;
  render: PageRenderer;
  clock: Clock;
  logger: Logger;
  maxBodyBytes: number;
}

/**
 * The SSO endpoints: `/saml/sso` with the HTTP-Redirect (GET, signature over the raw query) and
 * HTTP-POST bindings, and `/saml/idp-init?sp=NAME` for IdP-initiated SSO. A valid request
 * becomes a flow and the browser goes to the hosted login (303 to `/login/<uid>`); a
 * RequestedAuthnContext Passgate cannot meet is answered NoAuthnContext at once, and IsPassive
 * NoPassive (Passgate keeps no SAML session to sign in from); an invalid one
 * gets the error page with its code, never a stack trace.
 */
export function createSsoRoutes(options: SsoRoutesOptions): Router {
  const { flows, clock } = options;
  const router = Router();
  const form = express.urlencoded({ extended: false, limit: options.maxBodyBytes, parameterLimit: 10 });

  const answer = async (req: Request, res: Response, incoming: IncomingRequest) => {
    const validated = await options.requests.validate(incoming, clock());
    const { sp, request, fields } = validated;
    if (validated.level === undefined) {
      return answerWithStatus(options, req, res, sp, request, {
        status: 'noAuthnContext',
        reason: 'authn_context',
      });
    }
    if (validated.isPassive) {
      return answerWithStatus(options, req, res, sp, request, { status: 'noPassive', reason: 'passive' });
    }
    const uid = await flows.start(res, {
      sp,
      request,
      stepUp: validated.stepUp,
      forceAuthn: validated.forceAuthn,
      requirements: { authnContext: fields.requestedAuthnContext, subject: fields.subject },
    });
    res.redirect(303, flowPath(uid));
  };

  router.get('/saml/sso', async (req, res) => {
    const mark = req.originalUrl.indexOf('?');
    const rawQuery = mark < 0 ? '' : req.originalUrl.slice(mark + 1);
    await answer(req, res, { binding: 'redirect', query: req.query as Record<string, unknown>, rawQuery });
  });

  router.post('/saml/sso', form, async (req, res) => {
    await answer(req, res, { binding: 'post', body: (req.body ?? {}) as Record<string, unknown> });
  });

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
    res.redirect(303, flowPath(uid));
  });

  router.use(samlErrorPage(options.render, options.logger));
  return router;
}
