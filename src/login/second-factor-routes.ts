import type { Request, RequestHandler, Response, Router } from 'express';
import type { ChallengeState, Challenges, MethodOffer, OpenChallenge } from '../engine/challenges.js';
import { MfaErrors } from '../engine/errors.js';
import { PassgateError } from '../errors.js';
import type { LoginContext } from '../policy/authentication/authentication-policy.js';
import type { Decision } from '../policy/authentication/decision.js';
import type { Token } from '../store/repositories/tokens.js';
import type { User } from '../store/repositories/users.js';
import { WriteBatch } from '../store/write-batch.js';
import { finishSignIn } from './finish.js';
import type { LoginFlow } from './flow.js';
import { type DecisionDeps, type FlowContext, loadFlow } from './step.js';

/** Cookie holding the challenge of a login's second step, scoped to that login's pages. */
const CHALLENGE_COOKIE = 'passgate.mfa';

type SecondFactorDeps = DecisionDeps & { challenges: Challenges };

const cookiePath = (req: Request) => `/login/${req.params.uid}`;

/**
 * Starts the second step the policy asked for: a challenge limited to the rule's methods (maybe
 * a passcode sent, through the rule's Passcode and Load Balancing Policies), then its page.
 * `tokens` are the user's tokens as the decision read them (else they are read).
 */
export async function startSecondFactor(
  deps: SecondFactorDeps,
  req: Request,
  res: Response,
  user: User,
  context: LoginContext & { decision: Decision; fromSession?: boolean },
  tokens?: readonly Token[],
): Promise<void> {
  const { decision } = context;
  const flow: FlowContext = { ...context, flow: String(req.params.uid) };
  const state = await deps.challenges.start({
    user,
    context: flow,
    ...(decision.methods ? { methods: decision.methods } : {}),
    overrides: decision.overrides,
    language: deps.language(req, user),
    ...(tokens ? { tokens } : {}),
  });
  res.cookie(CHALLENGE_COOKIE, state.id, {
    httpOnly: true,
    sameSite: 'lax',
    secure: deps.secureCookies,
    path: cookiePath(req),
  });
  res.redirect(303, `${cookiePath(req)}/mfa`);
}

/**
 * The method the code field is for: the one the user chose from the other ways (a device or a
 * list of backup codes, `token`), else none while a sent passcode is awaited, else the first device.
 */
function currentMethod(
  state: ChallengeState,
  token: unknown,
): { current?: MethodOffer; chosen?: MethodOffer } {
  const typed = state.offers.filter((o) => o.source !== 'sent');
  const chosen = typeof token === 'string' ? typed.find((o) => o.tokenId === token) : undefined;
  if (chosen) return { current: chosen, chosen };
  const fallback = state.sent ? undefined : typed[0];
  return fallback ? { current: fallback } : {};
}

/**
 * The second step of the hosted login: type a code (authenticator, sent passcode, backup code),
 * choose another of the user's methods, or have a passcode sent on another channel. Every other
 * way listed is an action (a link or a button), and the text above the code field names the
 * method it is for. Works without JavaScript.
 */
export function addSecondFactorRoutes(router: Router, deps: SecondFactorDeps, form: RequestHandler): void {
  const { challenges, render, csrf } = deps;

  /** The login's flow and its open challenge, or LOGIN_EXPIRED / MFA_CHALLENGE_EXPIRED. */
  const current = async (
    req: Request,
    res: Response,
  ): Promise<{ flow: LoginFlow; state: ChallengeState; challenge: OpenChallenge }> => {
    const flow = await loadFlow(deps, req, res);
    const id = (req.cookies as Record<string, string | undefined>)[CHALLENGE_COOKIE];
    const challenge = id ? await challenges.open(id) : undefined;
    if (!challenge || challenge.state.context.flow !== req.params.uid)
      throw MfaErrors.MFA_CHALLENGE_EXPIRED();
    return { flow, state: challenge.state, challenge };
  };

  const show = async (
    req: Request,
    res: Response,
    flow: LoginFlow,
    state: ChallengeState,
    error?: PassgateError,
    token?: unknown,
  ) => {
    const method = currentMethod(state, token);
    const html = await render(req, 'login/mfa', {
      uid: req.params.uid,
      csrfToken: csrf.token(req, res),
      current: method.current ?? null,
      chosen: method.chosen ?? null,
      // Every way but the one the code field is for; a sent channel stays (to send again).
      alternatives: state.offers.filter((o) => o !== method.current),
      sent: state.sent ?? null,
      error: error ? { code: error.code, message: error.publicMessage } : null,
      sendError: state.sendError ?? null,
      branding: flow.branding ?? null,
    });
    res
      .status(error?.status ?? 200)
      .type('html')
      .send(html);
  };

  const expired = async (req: Request, res: Response, error: PassgateError) => {
    res.clearCookie(CHALLENGE_COOKIE, { path: cookiePath(req) });
    const html = await render(req, 'error', { status: error.status, code: error.code });
    res.status(error.status).type('html').send(html);
  };

  router.get('/login/:uid/mfa', async (req, res) => {
    try {
      const { flow, state } = await current(req, res);
      await show(req, res, flow, state, undefined, req.query.token);
    } catch (error) {
      if (!MfaErrors.is(error, 'MFA_CHALLENGE_EXPIRED')) throw error;
      await expired(req, res, error);
    }
  });

  router.post('/login/:uid/mfa', form, csrf.protect, async (req, res) => {
    const body = req.body as Record<string, unknown>;
    let state: ChallengeState;
    let loginFlow: LoginFlow;
    let challenge: OpenChallenge;
    try {
      ({ flow: loginFlow, state, challenge } = await current(req, res));
    } catch (error) {
      if (!MfaErrors.is(error, 'MFA_CHALLENGE_EXPIRED')) throw error;
      return expired(req, res, error);
    }
    // The sign-in's writes that need not wait (the step's audit event) go with its last ones.
    const batch = new WriteBatch();
    try {
      if (body.action === 'send') {
        return await show(req, res, loginFlow, await challenges.send(state.id, String(body.token ?? '')));
      }
      const code = typeof body.code === 'string' ? body.code.slice(0, 64) : '';
      const { chosen } = currentMethod(state, body.token);
      // A method the user chose is the only one tried: a code is not counted against the others.
      const result = await challenges.verify(challenge, code, chosen?.tokenId, batch);
      res.clearCookie(CHALLENGE_COOKIE, { path: cookiePath(req) });
      const flow = state.context as FlowContext;
      await finishSignIn(deps, req, res, loginFlow, {
        user: result.user,
        amr: [...new Set(['pwd', ...result.amr, 'mfa'])],
        mfa: true,
        password: flow.fromSession !== true,
        decision: flow.decision,
        method: result.method,
        context: flow,
        second: {
          offered: state.offers.map((o) => o.type),
          method: result.method,
          ...(loginFlow.startsSession === false ? { verificationOnly: true } : {}),
        },
        batch,
      });
    } catch (error) {
      await batch.commit();
      if (MfaErrors.is(error, 'MFA_CHALLENGE_EXPIRED')) return expired(req, res, error);
      if (!(error instanceof PassgateError) || error.status >= 500) throw error;
      await show(req, res, loginFlow, state, error, body.action === 'send' ? undefined : body.token);
    }
  });
}
