import type { Request, Response } from 'express';
import type { Clock } from '../../../clock.js';
import type { Sessions } from '../../../engine/sessions.js';
import type { BoundFlow, BrowserBinding } from '../../../login/browser-binding.js';
import type {
  CancelReason,
  FlowResult,
  LoginFlow,
  LoginFlowSource,
  PendingSignInWrites,
} from '../../../login/flow.js';
import type { AuditEvent, AuditRepository } from '../../../store/repositories/audit.js';
import type { User, UsersRepository } from '../../../store/repositories/users.js';
import { WriteBatch } from '../../../store/write-batch.js';
import type { PageRenderer } from '../../../web/render.js';
import { SAML_DOOR } from '../door-shape.js';
import { SamlErrors } from '../errors.js';
import { classToState, type RequestedAuthnContext } from '../messages/authn-context.js';
import type { RequestClaim } from '../messages/request-checks.js';
import type { RequestedSubject } from '../messages/request-fields.js';
import type { StatusResponseBuilder } from '../messages/status-response.js';
import type { NameIds } from '../response/name-id.js';
import type { ResponseBuilder, ResponseRequestInfo } from '../response/response.js';
import type { ServiceProvider } from '../service-providers/service-provider.js';
import type { SpRegistry } from '../service-providers/sp-registry.js';
import type { PostPage } from './post-page.js';
import { answerWithStatus, type StatusAnswer } from './status-answer.js';

export { SAML_DOOR } from '../door-shape.js';

/** What a SAML flow starts from: a validated AuthnRequest, or an IdP-initiated sign-in (no id). */
export interface SamlFlowStart {
  sp: ServiceProvider;
  request: ResponseRequestInfo;
  stepUp?: string | undefined;
  forceAuthn?: boolean;
  requirements?: FlowRequirements;
}

/** What the answer must meet besides a sign-in, from the AuthnRequest. */
export interface FlowRequirements {
  /** Its RequestedAuthnContext: the stated class must meet it (else NoAuthnContext). */
  authnContext?: RequestedAuthnContext | undefined;
  /** Its Subject: the user who signs in must be that user at the SP (else UnknownPrincipal). */
  subject?: RequestedSubject | undefined;
}

/** What a SAML flow keeps server-side while the hosted login runs (the binding's state). */
export interface SamlFlowState {
  /** Name of the SP (`metadata/saml/NAME.*`). */
  sp: string;
  /** The AuthnRequest's ID; null for IdP-initiated SSO. */
  requestId: string | null;
  acsUrl: string;
  relayState: string | null;
  stepUp: string | null;
  forceAuthn: boolean;
  /** What the answer must meet (RequestedAuthnContext, Subject), or null. */
  requirements: FlowRequirements | null;
}

/** A SAML sign-in in progress, as this browser's binding gave it. */
type SamlFlowRecord = BoundFlow<SamlFlowState>;

/** What a response answers: a flow (completed once), or a request answered from the session. */
interface Answering {
  /** Names it in error details. */
  label: string;
  sp: ServiceProvider;
  request: ResponseRequestInfo;
  requirements: FlowRequirements;
  /**
   * Completes the flow, once (SAML_FLOW_COMPLETED when it already was); a session answer's
   * refusal claims the request's ID (SAML_REQUEST_REPLAYED when it was already).
   */
  complete(res: Response): Promise<void>;
  /**
   * Stores the answer's writes, and completes the answer with them: a session answer claims the
   * request's ID in the same transaction. Unset: `complete`, then the writes' commit.
   */
  store?: (batch: WriteBatch) => Promise<void>;
  /**
   * A session answer's recording of the session's use: into the batch of the answer's writes,
   * or (a refusal) on its own.
   */
  recordUse?: (batch?: WriteBatch) => Promise<void>;
}

/** What SAML flows need. */
export interface SamlFlowsOptions {
  registry: SpRegistry;
  /** Binds each flow to its browser; its lifetime is `saml.requestLifetimeSeconds`. */
  binding: BrowserBinding<SamlFlowState>;
  responses: ResponseBuilder;
  statusResponses: StatusResponseBuilder;
  users: Pick<UsersRepository, 'findById'>;
  nameIds: NameIds;
  audit: Pick<AuditRepository, 'record' | 'recordIn'>;
  /** Where the SP is recorded as signed in to (NameID, SessionIndex), for single logout. */
  sessions: Pick<Sessions, 'recordApplication' | 'recordApplicationIn'>;
  render: PageRenderer;
  /** The page that posts a response to the SP. */
  postPage: PostPage;
  clock: Clock;
}

/**
 * The SAML door's sign-ins, carried out by the hosted login pages: kept server-side and bound to
 * the browser that started them by the hosted login's BrowserBinding, and answered once, with a
 * signed login response (or an AuthnFailed one) auto-posted to the SP's consumer service.
 */
export class SamlFlows implements LoginFlowSource {
  constructor(private readonly options: SamlFlowsOptions) {}

  /** Stores a new flow and binds it to this browser; the uid of `/login/<uid>`. */
  start(res: Response, start: SamlFlowStart): Promise<string> {
    const { authnContext, subject } = start.requirements ?? {};
    return this.options.binding.start(res, {
      sp: start.sp.name,
      requestId: start.request.id ?? null,
      acsUrl: start.request.acsUrl,
      relayState: start.request.relayState ?? null,
      stepUp: start.stepUp ?? null,
      forceAuthn: start.forceAuthn === true,
      requirements: authnContext || subject ? (start.requirements ?? null) : null,
    });
  }

  /** The open flow `uid` of this browser (its cookie), or undefined. */
  async load(req: Request, _res: Response, uid: string): Promise<LoginFlow | undefined> {
    const flow = await this.options.binding.load(req, uid);
    const sp = flow && this.options.registry.named(flow.state.sp);
    return flow && sp ? this.flowOf(flow, sp) : undefined;
  }

  /**
   * Answers a request from the browser's single sign-on session, without a flow: the same
   * response (and the same refusals) as a flow's finish. `user` is the session's user as the
   * reuse just read them (not read again). `recordUse` records the session's use: in the
   * response's transaction (one commit for the SP recorded in the session, the use and the
   * response's audit event), else before any other answer.
   */
  async answerFromSession(
    req: Request,
    res: Response,
    start: SamlFlowStart,
    result: FlowResult,
    user: User,
    recordUse: (batch?: WriteBatch) => Promise<void>,
    claim: RequestClaim,
  ): Promise<void> {
    let recorded: Promise<void> | undefined;
    const recordOnce = (batch?: WriteBatch) => {
      recorded ??= recordUse(batch);
      return recorded;
    };
    try {
      await this.finish(
        req,
        res,
        {
          label: `session answer to ${start.sp.name}`,
          sp: start.sp,
          request: start.request,
          requirements: start.requirements ?? {},
          complete: () => claim.now(),
          store: (batch) => claim.with(batch),
          recordUse: recordOnce,
        },
        result,
        user,
      );
    } finally {
      // A refusal thrown on the way (the user gone, no NameID) still records the use, before its error page.
      await recordOnce();
    }
  }

  private flowOf(row: SamlFlowRecord, sp: ServiceProvider): LoginFlow {
    const target: Answering = {
      label: `flow ${row.uid}`,
      sp,
      request: {
        id: row.state.requestId ?? undefined,
        acsUrl: row.state.acsUrl,
        relayState: row.state.relayState ?? undefined,
      },
      requirements: row.state.requirements ?? {},
      complete: (res) => this.complete(res, row),
    };
    return {
      uid: row.uid,
      door: SAML_DOOR,
      application: sp.name,
      applicationName: sp.settings.displayName,
      ...(row.state.stepUp ? { stepUp: row.state.stepUp } : {}),
      ...(row.state.forceAuthn ? { fresh: true } : {}),
      sessionReuse: true,
      // The response's writes (the SP in the session, its audit event) go in the sign-in's transaction.
      finish: (req, res, result, pending) => this.finish(req, res, target, result, result.user, pending),
      // The SP gets RequestDenied and shows its own page, with its own way back.
      answersDenial: true,
      cancel: (req, res, reason) => this.cancel(req, res, target, reason ?? 'cancelled'),
    };
  }

  /**
   * The login response, once: a second finish (or one after cancel) is SAML_FLOW_COMPLETED. The
   * request's Subject must be the user (else UnknownPrincipal), and the class stated must meet
   * its RequestedAuthnContext (else NoAuthnContext). The SP is recorded in the session. `known`:
   * the user as this request read them already (the sign-in, the session), else read here.
   * `pending`: the sign-in's writes not stored yet, which the response's join (one commit for
   * the sign-in); they are committed before any answer.
   */
  private async finish(
    req: Request,
    res: Response,
    target: Answering,
    result: FlowResult,
    known?: User,
    pending?: PendingSignInWrites,
  ): Promise<void> {
    const { users, responses, audit, clock, sessions } = this.options;
    const { sp, request, requirements } = target;
    const user = known?.id === result.userId ? known : await users.findById(result.userId);
    if (!user)
      throw SamlErrors.SAML_FLOW_COMPLETED({ detail: `${target.label}: user ${result.userId} is gone` });
    if (requirements.subject && !this.isSubject(requirements.subject, user, sp)) {
      await pending?.commit();
      return this.refuse(req, res, target, { status: 'unknownPrincipal', reason: 'subject', user });
    }
    const classRef = classToState(
      result.mfa ? 'mfa' : 'password',
      sp.settings.authnContext,
      requirements.authnContext,
    );
    if (classRef === undefined) {
      await pending?.commit();
      return this.refuse(req, res, target, { status: 'noAuthnContext', reason: 'authn_context', user });
    }
    const now = clock();
    const response = await responses.build({
      user,
      sp,
      request,
      assurance: {
        mfa: result.mfa,
        classRef,
        ...(result.session ? { authnInstant: result.session.authTime } : {}),
      },
      now,
    });
    const application = result.session && {
      session_id: result.session.id,
      door: SAML_DOOR,
      application: sp.name,
      name_id: response.nameId,
      name_id_format: sp.settings.nameId.format,
      session_index: response.sessionIndex,
      sid: null,
    };
    const event: AuditEvent = {
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
        authnContext: classRef,
        inResponseTo: request.id ?? null,
      },
    };
    // The answer's writes, in one transaction: with the sign-in's when it has them not stored yet.
    const batch = pending?.batch ?? new WriteBatch();
    if (application) sessions.recordApplicationIn(batch, application);
    audit.recordIn(batch, event);
    await target.recordUse?.(batch);
    if (target.store) await target.store(batch);
    else {
      // Once per flow, before anything of the answer is stored.
      await target.complete(res);
      await (pending ? pending.commit() : batch.commit());
    }
    await this.options.postPage(req, res, response, sp.settings.displayName);
  }

  /** Whether the user is the Subject the request named; a user without a NameID there is not. */
  private isSubject(subject: RequestedSubject, user: User, sp: ServiceProvider): boolean {
    try {
      return this.options.nameIds.matches(subject, user, sp);
    } catch (error) {
      if (SamlErrors.is(error) && error.code === 'SAML_NAMEID_UNAVAILABLE') return false;
      throw error;
    }
  }

  /**
   * Answers the SP that the user did not sign in: AuthnFailed when cancelled, RequestDenied when
   * the policy denied the sign-in.
   */
  private async cancel(req: Request, res: Response, target: Answering, reason: CancelReason): Promise<void> {
    const status = reason === 'denied' ? 'requestDenied' : 'authnFailed';
    return this.refuse(req, res, target, { status, reason });
  }

  /**
   * Completes the flow without an assertion: the SP gets the status response. An IdP-initiated
   * flow has no SP waiting for an answer: the user gets Passgate's "access denied" page instead.
   */
  private async refuse(req: Request, res: Response, target: Answering, answer: StatusAnswer): Promise<void> {
    const { sp, request } = target;
    await target.complete(res);
    await target.recordUse?.();
    if (request.id === undefined) {
      await this.options.audit.record({
        type: 'saml.response',
        outcome: 'failure',
        reason: answer.reason,
        address: req.ip ?? null,
        details: { sp: sp.name, inResponseTo: null },
      });
      const html = await this.options.render(req, 'error', { status: 403, code: 'access_denied' });
      res.status(403).type('html').send(html);
      return;
    }
    await answerWithStatus(this.options, req, res, sp, request, answer);
  }

  private async complete(res: Response, row: SamlFlowRecord): Promise<void> {
    if (!(await this.options.binding.complete(res, row.uid))) {
      throw SamlErrors.SAML_FLOW_COMPLETED({ detail: `flow ${row.uid} was already answered` });
    }
  }
}
