import type { Request, Response } from 'express';
import type { Middleware } from 'koa';
import { type Account, type Grant, interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import type { Session } from '../../engine/sessions.js';
import type { ReuseOutcome } from '../../engine/single-sign-on.js';
import type { BrowserSessions } from '../../login/sessions.js';
import type { Logger } from '../../observability/logger.js';
import { type BatchCommitter, WriteBatch } from '../../store/write-batch.js';
import { allowLogoutFrames } from '../../web/front-channel.js';
import type { PageRenderer } from '../../web/render.js';
import { REQUIRE_MFA, requestedStepUp } from './assurance.js';
import { clientMetadata } from './client-metadata.js';
import { inOidcTerms } from './unavailable.js';

/** Where the check leaves what the browser's single sign-on session can do for this request. */
const OUTCOME = 'passgateSso';

/** The key of the interaction result that names the single sign-on session of a hosted-login sign-in. */
export const SSO_RESULT = 'passgate';

/** What binding oidc-provider's session to the single sign-on session needs. */
export interface SessionBindingOptions {
  sessions: Pick<BrowserSessions, 'reuse' | 'sessions' | 'end'>;
  /** oidc-provider's account lookup (the configuration's findAccount). */
  findAccount(ctx: KoaContextWithOIDC, id: string): Promise<Account | undefined>;
  /** The configuration's loadExistingGrant. */
  loadGrant(ctx: KoaContextWithOIDC): Promise<Grant | undefined>;
  logger: Logger;
  /** Renders the page that loads the clients' front-channel logout URIs. */
  render: PageRenderer;
  /** The store's group commit: the client recorded in the session joins the provider's writes of the turn. */
  commits?: BatchCommitter;
}

/** What the browser's single sign-on session could do for this authorization request, if known. */
export function ssoOutcome(ctx: KoaContextWithOIDC): ReuseOutcome | undefined {
  return (ctx.state as Record<string, ReuseOutcome | undefined>)[OUTCOME];
}

/**
 * A prompt evaluated before oidc-provider's own, which never asks anything itself: it binds
 * oidc-provider's session to the single sign-on session every door shares (one sign-in, one
 * session). A provider session whose single sign-on session is over, revoked, another user's or
 * no longer allowed (user disabled, another country) loses its login, so the login prompt asks
 * again (`login_required` for `prompt=none`); a browser with a single sign-on session that
 * answers this client (a sign-in at another door) is logged in from it without a page. The
 * policy's answer is left for the step-up check.
 */
export function sessionBindingPrompt(
  options: SessionBindingOptions,
): InstanceType<typeof interactionPolicy.Prompt> {
  const check = new interactionPolicy.Check(
    'passgate_session',
    'the single sign-on session',
    async (context) => {
      const ctx = context as KoaContextWithOIDC;
      const { session, client, params, result } = ctx.oidc;
      // Just back from the hosted login: the sign-in there started or proved the session.
      if (!client || !session || result?.login) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
      const outcome = await inOidcTerms(() =>
        options.sessions.reuse(ctx.req as Request, undefined, {
          door: 'oidc',
          application: client.clientId,
          applicationName: client.clientName ?? client.clientId,
          stepUp: requestedStepUp(
            params?.acr_values,
            (clientMetadata(client) as Record<string, unknown>)[REQUIRE_MFA],
          ),
        }),
      );
      (ctx.state as Record<string, unknown>)[OUTCOME] = outcome;
      const live = outcome.kind === 'answer' || outcome.kind === 'step_up' || outcome.kind === 'deny';
      if (session.accountId) {
        if (live && outcome.session.userId === session.accountId) {
          if (outcome.kind === 'answer') logIn(ctx, outcome.session);
        } else {
          logOut(ctx);
        }
      } else if (outcome.kind === 'answer') {
        await logInFromSession(ctx, options, outcome.session);
      }
      return interactionPolicy.Check.NO_NEED_TO_PROMPT;
    },
  );
  return new interactionPolicy.Prompt({ name: 'passgate_sso', requestable: false }, check);
}

/**
 * Records, once an authorization code is issued, the client (with its `sid`) in the single
 * sign-on session, and a use of the session when the request was answered from it; when the
 * user signs out of oidc-provider's session (RP-initiated logout), ends the single sign-on
 * session with it.
 */
export function followSessionInProvider(options: SessionBindingOptions): Middleware {
  return async (context, next) => {
    await next();
    // The store away now (after the code was issued) is answered 503 like any other step.
    await inOidcTerms(() => follow(context as KoaContextWithOIDC, options));
  };
}

/** What {@link followSessionInProvider} does once oidc-provider has answered. */
async function follow(ctx: KoaContextWithOIDC, options: SessionBindingOptions): Promise<void> {
  if (!ctx.oidc) return;
  const { client, session, entities, result, route } = ctx.oidc;
  if (route === 'end_session_confirm' && (session as { destroyed?: boolean } | undefined)?.destroyed) {
    const ended = await options.sessions.end(ctx.req as Request, ctx.res as Response, 'logout');
    if (ended) await loadFrontChannelFrames(ctx, options, ended.id);
    return;
  }
  if (!client || !session?.accountId || !entities?.AuthorizationCode) return;
  const outcome = ssoOutcome(ctx);
  const signedIn = (result as Record<string, { session?: string } | undefined> | undefined)?.[SSO_RESULT];
  const sessionId = result?.login
    ? signedIn?.session
    : outcome?.kind === 'answer'
      ? outcome.session.id
      : undefined;
  if (!sessionId) return;
  // With the group commit, in the transaction of the code, grant and session oidc-provider just staged.
  const recorded = new WriteBatch();
  options.sessions.sessions.recordApplicationIn(recorded, {
    session_id: sessionId,
    door: 'oidc',
    application: client.clientId,
    name_id: null,
    name_id_format: null,
    session_index: null,
    sid: session.sidFor(client.clientId) ?? null,
  });
  await recorded.commit(options.commits);
  if (!result?.login && outcome?.kind === 'answer') {
    await options.sessions.sessions.reused(outcome.session, outcome.user, {
      door: 'oidc',
      application: client.clientId,
      address: (ctx.req as Request).ip ?? '',
      rule: outcome.decision.rule,
    });
  }
}

/** Keeps the provider's login in step with the session's (a later step-up or fresh password). */
function logIn(ctx: KoaContextWithOIDC, sso: Session): void {
  const loginTs = Math.floor(sso.authTime / 1000);
  const session = ctx.oidc.session!;
  if (session.loginTs === loginTs && session.acr === sso.acr && session.amr?.length === sso.amr.length)
    return;
  session.loginAccount({ accountId: sso.userId, loginTs, amr: sso.amr, acr: sso.acr });
}

/** The provider's session loses its login: the single sign-on session it stood on is gone. */
function logOut(ctx: KoaContextWithOIDC): void {
  const session = ctx.oidc.session as unknown as Record<string, unknown>;
  for (const key of ['accountId', 'loginTs', 'amr', 'acr', 'transient']) delete session[key];
  session.touched = true;
}

/** Logs the provider's session in from the single sign-on session, with the account and grant its later steps read. */
async function logInFromSession(ctx: KoaContextWithOIDC, options: SessionBindingOptions, sso: Session) {
  const account = await options.findAccount(ctx, sso.userId);
  if (!account) return;
  logIn(ctx, sso);
  ctx.oidc.entity('Account', account);
  const grant = await options.loadGrant(ctx);
  if (!grant) return;
  const clientId = ctx.oidc.client!.clientId;
  ctx.oidc.session!.ensureClientContainer(clientId);
  ctx.oidc.session!.grantIdFor(clientId, grant.jti);
  ctx.oidc.entity('Grant', grant);
}

/**
 * After RP-initiated logout: when clients of the ended session take front-channel logout, the
 * redirect oidc-provider answered with becomes a page that loads their logout URIs in hidden
 * frames and then goes on to it.
 */
async function loadFrontChannelFrames(
  ctx: KoaContextWithOIDC,
  options: SessionBindingOptions,
  sessionId: string,
) {
  const frames = await options.sessions.sessions.frontChannelOf(sessionId);
  const next = ctx.response.get('Location');
  if (frames.length === 0 || !next) return;
  ctx.remove('Location');
  ctx.status = 200;
  ctx.type = 'html';
  ctx.set('Cache-Control', 'no-store');
  allowLogoutFrames(ctx.res, frames);
  ctx.body = await options.render(ctx.req, 'login/signing-out', { frames, next });
}
