import { randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Clock } from '../../clock.js';
import type { AuditRepository } from '../../store/repositories/audit.js';
import type { SamlFlowRecord, SamlFlowsRepository } from '../../store/repositories/saml-flows.js';
import type { UsersRepository } from '../../store/repositories/users.js';
import type { CancelReason, FlowResult, LoginFlow, LoginFlowSource } from '../login/flow.js';
import type { PageRenderer } from '../oidc/provider.js';
import { SamlErrors } from './errors.js';
import { bindBrowser, browserHolds, unbindBrowser } from './flow-binding.js';
import { sendPostPage } from './post-page.js';
import type { ResponseBuilder, ResponseRequestInfo } from './response.js';
import type { ServiceProvider } from './service-provider.js';
import type { SpRegistry } from './sp-registry.js';
import type { StatusResponseBuilder } from './status-response.js';

/** The door's name for the policy's `doors` condition. */
export const SAML_DOOR = 'saml';

/** What a SAML flow starts from: a validated AuthnRequest, or an IdP-initiated sign-in (no id). */
export interface SamlFlowStart {
  sp: ServiceProvider;
  request: ResponseRequestInfo;
  stepUp?: string | undefined;
  forceAuthn?: boolean;
}

/** What SAML flows need. */
export interface SamlFlowsOptions {
  registry: SpRegistry;
  store: SamlFlowsRepository;
  responses: ResponseBuilder;
  statusResponses: StatusResponseBuilder;
  users: Pick<UsersRepository, 'findById'>;
  audit: Pick<AuditRepository, 'record'>;
  render: PageRenderer;
  clock: Clock;
  /** How long a sign-in may take, from the request to the response (`saml.requestLifetimeSeconds`). */
  lifetimeSeconds: number;
  secureCookies: boolean;
}

/**
 * The SAML door's sign-ins, carried out by the hosted login pages: kept server-side (table
 * saml_flows), bound to the browser that started them by a cookie, and answered once, with a
 * signed login response (or an AuthnFailed one) auto-posted to the SP's consumer service.
 */
export class SamlFlows implements LoginFlowSource {
  constructor(private readonly options: SamlFlowsOptions) {}

  /** Stores a new flow and binds it to this browser; the uid of `/login/<uid>`. */
  async start(res: Response, start: SamlFlowStart): Promise<string> {
    const { store, clock, lifetimeSeconds, secureCookies } = this.options;
    const uid = randomBytes(16).toString('base64url');
    const now = clock();
    const lifetimeMs = lifetimeSeconds * 1000;
    await store.create({
      uid,
      sp: start.sp.name,
      request_id: start.request.id ?? null,
      acs_url: start.request.acsUrl,
      relay_state: start.request.relayState ?? null,
      step_up: start.stepUp ?? null,
      force_authn: start.forceAuthn ? 1 : 0,
      secret_hash: bindBrowser(res, uid, lifetimeMs, secureCookies),
      created_at: now,
      expires_at: now + lifetimeMs,
      completed_at: null,
    });
    return uid;
  }

  /** The open flow `uid` of this browser (its cookie), or undefined. */
  async load(req: Request, _res: Response, uid: string): Promise<LoginFlow | undefined> {
    const row = await this.options.store.findOpen(uid, this.options.clock());
    if (!row || !browserHolds(req, row.secret_hash)) return undefined;
    const sp = this.options.registry.named(row.sp);
    return sp ? this.flowOf(row, sp) : undefined;
  }

  private flowOf(row: SamlFlowRecord, sp: ServiceProvider): LoginFlow {
    const request: ResponseRequestInfo = {
      id: row.request_id ?? undefined,
      acsUrl: row.acs_url,
      relayState: row.relay_state ?? undefined,
    };
    return {
      uid: row.uid,
      door: SAML_DOOR,
      application: sp.name,
      applicationName: sp.settings.displayName,
      ...(row.step_up ? { stepUp: row.step_up } : {}),
      finish: (req, res, result) => this.finish(req, res, row, sp, request, result),
      // The SP gets RequestDenied and shows its own page, with its own way back.
      answersDenial: true,
      cancel: (req, res, reason) => this.cancel(req, res, row, sp, request, reason ?? 'cancelled'),
    };
  }

  /** The login response, once: a second finish (or one after cancel) is SAML_FLOW_COMPLETED. */
  private async finish(
    req: Request,
    res: Response,
    row: SamlFlowRecord,
    sp: ServiceProvider,
    request: ResponseRequestInfo,
    result: FlowResult,
  ): Promise<void> {
    const { users, responses, audit, clock } = this.options;
    const user = await users.findById(result.userId);
    if (!user)
      throw SamlErrors.SAML_FLOW_COMPLETED({ detail: `flow ${row.uid}: user ${result.userId} is gone` });
    const now = clock();
    const response = await responses.build({ user, sp, request, assurance: { mfa: result.mfa }, now });
    await this.complete(res, row);
    await audit.record({
      type: 'saml.response',
      outcome: 'success',
      userId: user.id,
      username: user.username,
      address: req.ip ?? null,
      details: {
        sp: sp.name,
        nameIdFormat: sp.settings.nameId.format,
        mfa: result.mfa,
        amr: result.amr,
        inResponseTo: request.id ?? null,
      },
    });
    await sendPostPage(this.options.render, req, res, response, sp.settings.displayName);
  }

  /**
   * Answers the SP that the user did not sign in: AuthnFailed when cancelled, RequestDenied when
   * the policy denied the sign-in. An IdP-initiated flow has no SP waiting for an answer: the
   * user gets Passgate's "access denied" page instead.
   */
  private async cancel(
    req: Request,
    res: Response,
    row: SamlFlowRecord,
    sp: ServiceProvider,
    request: ResponseRequestInfo,
    reason: CancelReason,
  ): Promise<void> {
    const { statusResponses, audit, clock, render } = this.options;
    const status = reason === 'denied' ? 'requestDenied' : 'authnFailed';
    await this.complete(res, row);
    await audit.record({
      type: 'saml.response',
      outcome: 'failure',
      reason,
      address: req.ip ?? null,
      details: {
        sp: sp.name,
        status: status === 'requestDenied' ? 'RequestDenied' : 'AuthnFailed',
        inResponseTo: request.id ?? null,
      },
    });
    if (request.id === undefined) {
      const html = await render(req, 'error', { status: 403, code: 'access_denied' });
      res.status(403).type('html').send(html);
      return;
    }
    const response = statusResponses.build(sp, request, status, clock());
    await sendPostPage(render, req, res, response, sp.settings.displayName);
  }

  private async complete(res: Response, row: SamlFlowRecord): Promise<void> {
    if (!(await this.options.store.complete(row.uid, this.options.clock()))) {
      throw SamlErrors.SAML_FLOW_COMPLETED({ detail: `flow ${row.uid} was already answered` });
    }
    unbindBrowser(res, row.uid, this.options.secureCookies);
  }
}
