import { randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Clock } from '../../../clock.js';
import type { FrontChannelLogout, Session, Sessions } from '../../../engine/sessions.js';
import type { Logger } from '../../../observability/logger.js';
import type { LoginFlowsRepository } from '../../../store/repositories/login-flows.js';
import type { SessionApplicationRecord } from '../../../store/repositories/sessions.js';
import { allowLogoutFrames } from '../../../web/front-channel.js';
import type { PageRenderer } from '../../../web/render.js';
import { LOGOUT_CHAIN_DOOR, SAML_DOOR } from '../door-shape.js';
import { SamlErrors } from '../errors.js';
import type { LogoutResponseBuilder } from '../messages/logout-response.js';
import type { IncomingRequest } from '../messages/request-message.js';
import type { ServiceProvider } from '../service-providers/service-provider.js';
import type { SloEndpoint } from '../service-providers/sp-metadata.js';
import type { SpRegistry } from '../service-providers/sp-registry.js';
import type { LogoutRequestBuilder, LogoutSubject } from './logout-request-builder.js';
import type { LogoutResponseReader } from './logout-response-reader.js';
import type { OutgoingMessage } from './outgoing-message.js';

/** The SP that started a single logout, to be answered at the end. */
export interface LogoutInitiator {
  sp: string;
  requestId: string;
  binding: 'redirect' | 'post';
  relayState: string | null;
}

/** An SP still to be sent a LogoutRequest. */
interface PendingLogout extends LogoutSubject {
  sp: string;
}

/** A single logout chain between two browser hops, as stored (JSON). */
export interface LogoutChainState {
  session: string;
  userId: string;
  initiator: LogoutInitiator | null;
  pending: PendingLogout[];
  /** The SP the browser was last sent to, and the ID of the LogoutRequest it must answer. */
  current: { sp: string; requestId: string } | null;
  reached: string[];
  failed: string[];
  skipped: string[];
  /** Applications told without the chain (OIDC back- and front-channel logout), as `door:application`. */
  told: string[];
  /** The front-channel logout URIs the last page loads in hidden frames. */
  frames: FrontChannelLogout[];
}

/** What a chain needs. */
export interface LogoutChainOptions {
  registry: SpRegistry;
  flows: LoginFlowsRepository;
  sessions: Pick<Sessions, 'revoke' | 'applicationsOf' | 'loggedOut' | 'backChannelOf' | 'frontChannelOf'>;
  requests: LogoutRequestBuilder;
  responses: LogoutResponseBuilder;
  reader: LogoutResponseReader;
  render: PageRenderer;
  clock: Clock;
  logger: Logger;
  /** How long each SP has to answer (`saml.requestLifetimeSeconds`). */
  hopLifetimeMs: number;
}

/**
 * SAML single logout through the browser (front channel): ends the Passgate session, then sends
 * a signed LogoutRequest to each other SP of the session that has a SingleLogoutService, one hop
 * after the other, consuming each LogoutResponse, and finally answers the SP that started it
 * (Success, or Success/PartialLogout when one failed or could not be asked). The chain's state is
 * kept server-side, one row per hop; the browser carries only its random handle in RelayState.
 */
export class LogoutChain {
  constructor(private readonly options: LogoutChainOptions) {}

  /** Ends `session` and starts signing its other applications out; `initiator` is answered at the end. */
  async start(
    req: Request,
    res: Response,
    session: Pick<Session, 'id' | 'userId'>,
    initiator: LogoutInitiator | null,
  ): Promise<void> {
    const { sessions } = this.options;
    const [applications, backChannel, frames] = await Promise.all([
      sessions.applicationsOf(session.id),
      sessions.backChannelOf(session.id),
      sessions.frontChannelOf(session.id),
    ]);
    // Ending it also starts the back-channel logouts (in the background).
    await sessions.revoke(session, { reason: 'logout', address: req.ip ?? null });
    const state: LogoutChainState = {
      session: session.id,
      userId: session.userId,
      initiator,
      pending: [],
      current: null,
      reached: initiator ? [`${SAML_DOOR}:${initiator.sp}`] : [],
      failed: [],
      skipped: [],
      told: [...new Set([...backChannel, ...frames.map((frame) => frame.application)])],
      frames,
    };
    for (const application of applications) this.plan(state, application);
    await this.next(req, res, state);
  }

  /** Whether this `/saml/slo` message is an SP's LogoutResponse (the chain's, or a stray one). */
  isResponse(incoming: IncomingRequest): boolean {
    const source = incoming.binding === 'redirect' ? incoming.query : incoming.body;
    return source.SAMLResponse !== undefined && source.SAMLRequest === undefined;
  }

  /**
   * A LogoutResponse of the SP the chain last sent the browser to: recorded as reached (Success)
   * or failed (any other status, or a message that does not check), then the next hop.
   */
  async answer(req: Request, res: Response, incoming: IncomingRequest): Promise<void> {
    const { reader, flows, clock, registry } = this.options;
    const arrived = reader.arrived(incoming);
    const handle = arrived.message.relayState;
    const row = handle ? await flows.findOpen(LOGOUT_CHAIN_DOOR, handle, clock()) : undefined;
    if (!row || !handle || !(await flows.complete(LOGOUT_CHAIN_DOOR, handle, clock()))) {
      throw SamlErrors.SAML_REQUEST_EXPIRED({ detail: 'LogoutResponse of no open single logout chain' });
    }
    const state = JSON.parse(row.state) as LogoutChainState;
    const current = state.current;
    const sp = current && registry.named(current.sp);
    const name = `${SAML_DOOR}:${current?.sp ?? '?'}`;
    try {
      if (!current || !sp) throw SamlErrors.SAML_UNKNOWN_SP({ detail: `chain ${handle}: no SP awaited` });
      ((await reader.succeeded(arrived, sp, current.requestId)) ? state.reached : state.failed).push(name);
    } catch (error) {
      if (!SamlErrors.is(error)) throw error;
      this.options.logger.warn(
        { code: error.code, sp: current?.sp },
        'single logout: a LogoutResponse was refused',
      );
      state.failed.push(name);
    }
    state.current = null;
    await this.next(req, res, state);
  }

  /** Sorts an application of the session: another SAML SP with a single logout service is asked, the rest listed. */
  private plan(state: LogoutChainState, application: SessionApplicationRecord): void {
    const name = `${application.door}:${application.application}`;
    if (application.door === SAML_DOOR && application.application === state.initiator?.sp) return;
    if (state.told.includes(name)) {
      state.reached.push(name);
      return;
    }
    const sp =
      application.door === SAML_DOOR ? this.options.registry.named(application.application) : undefined;
    if (!sp || !endpointOf(sp) || !application.name_id) {
      state.skipped.push(name);
      return;
    }
    state.pending.push({
      sp: sp.name,
      nameId: application.name_id,
      nameIdFormat: application.name_id_format ?? sp.settings.nameId.format,
      sessionIndex: application.session_index,
    });
  }

  /** Sends the browser to the next SP (the chain stored under a new handle), or ends the chain. */
  private async next(req: Request, res: Response, state: LogoutChainState): Promise<void> {
    const { registry, requests, flows, clock, hopLifetimeMs } = this.options;
    for (;;) {
      const pending = state.pending.shift();
      if (!pending) return this.finish(req, res, state);
      const sp = registry.named(pending.sp);
      const endpoint = sp && endpointOf(sp);
      if (!sp || !endpoint) {
        state.skipped.push(`${SAML_DOOR}:${pending.sp}`);
        continue;
      }
      const now = clock();
      const handle = randomBytes(24).toString('base64url');
      const message = requests.build({
        sp,
        endpoint,
        subject: pending,
        relayState: handle,
        now,
        lifetimeMs: hopLifetimeMs,
      });
      state.current = { sp: sp.name, requestId: message.id };
      await flows.create({
        uid: handle,
        door: LOGOUT_CHAIN_DOOR,
        state: JSON.stringify(state),
        // The chain is bound to nothing but its random handle: it can only sign out, and its session is already ended.
        secret_hash: '',
        created_at: now,
        expires_at: now + hopLifetimeMs,
        completed_at: null,
      });
      return this.send(req, res, message, sp);
    }
  }

  /** Audits the logout and answers the initiator (PartialLogout when an application was not reached), or shows the page. */
  private async finish(req: Request, res: Response, state: LogoutChainState): Promise<void> {
    const { sessions, registry, responses, clock, render } = this.options;
    await sessions.loggedOut(
      { id: state.session, userId: state.userId },
      {
        initiator: state.initiator ? `${SAML_DOOR}:${state.initiator.sp}` : 'passgate',
        reached: state.reached,
        failed: state.failed,
        skipped: state.skipped,
        address: req.ip ?? null,
      },
    );
    const initiator = state.initiator;
    const sp = initiator && registry.named(initiator.sp);
    const endpoint =
      initiator && sp && sp.settings.profile !== 'google'
        ? (sp.slo.find((e) => e.binding === initiator.binding) ?? sp.slo[0])
        : undefined;
    const frames = state.frames ?? [];
    if (!initiator || !sp || !endpoint) {
      res.set('Cache-Control', 'no-store');
      const away = sp?.settings.logoutRedirect;
      if (away && frames.length === 0) return res.redirect(303, away);
      allowLogoutFrames(res, frames);
      const html = away
        ? await render(req, 'login/signing-out', { frames, next: away })
        : await render(req, 'saml/signed-out', { frames });
      res.status(200).type('html').send(html);
      return;
    }
    const response = responses.build({
      sp,
      endpoint,
      inResponseTo: initiator.requestId,
      relayState: initiator.relayState ?? undefined,
      now: clock(),
      partial: state.failed.length + state.skipped.length > 0,
    });
    await this.send(req, res, response, sp, frames);
  }

  /**
   * A signed message through the browser: a 303 (Redirect binding) or the auto-posting page;
   * with front-channel frames to load first, a page that loads them and then goes on.
   */
  async send(
    req: Request,
    res: Response,
    message: OutgoingMessage,
    sp: ServiceProvider,
    frames: FrontChannelLogout[] = [],
  ): Promise<void> {
    res.set('Cache-Control', 'no-store');
    allowLogoutFrames(res, frames);
    if (message.binding === 'redirect') {
      if (frames.length === 0) return res.redirect(303, message.location);
      const html = await this.options.render(req, 'login/signing-out', { frames, next: message.location });
      res.status(200).type('html').send(html);
      return;
    }
    const html = await this.options.render(req, 'saml/logout-post', {
      frames,
      url: message.url,
      parameter: message.parameter,
      samlResponse: message.value,
      relayState: message.relayState,
      applicationName: sp.settings.displayName,
    });
    res.status(200).type('html').send(html);
  }

  /** Deletes the chains whose hop has expired (the clean-up job). */
  prune(now: number): Promise<number> {
    return this.options.flows.prune(LOGOUT_CHAIN_DOOR, now);
  }
}

/** The SP's single logout service for LogoutRequests: HTTP-Redirect first; Google has none that takes one. */
function endpointOf(sp: ServiceProvider): SloEndpoint | undefined {
  if (sp.settings.profile === 'google') return undefined;
  return sp.slo.find((e) => e.binding === 'redirect') ?? sp.slo[0];
}
