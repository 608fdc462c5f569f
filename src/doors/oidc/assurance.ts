import type { Request } from 'express';
import { interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import { DEVICE_COOKIE } from '../../login/step.js';
import type { LoginContext } from '../../policy/authentication/authentication-policy.js';
import type { Decision } from '../../policy/authentication/decision.js';
import { inOidcTerms } from './unavailable.js';

/** ACR of a login with the password alone. */
export const ACR_PASSWORD = 'urn:passgate:acr:password';
/** ACR of a login with a second factor. */
export const ACR_MFA = 'urn:passgate:acr:mfa';
/** The login-prompt check that asks for a second factor on top of an existing session. */
export const STEP_UP_CHECK = 'passgate_step_up';
/** Client metadata key (metadata/oidc/*.yaml) for an application that always needs MFA. */
export const REQUIRE_MFA = 'require_mfa';

/** Why a request wants MFA whatever the rules say: acr_values naming it, or the client's minimum. */
export function requestedStepUp(acrValues: unknown, clientRequiresMfa: unknown): string | undefined {
  if (typeof acrValues === 'string' && acrValues.split(' ').includes(ACR_MFA)) return 'acr_values';
  return clientRequiresMfa === true ? 'application' : undefined;
}

/** The policy decision of a signed-in user for a new request, as the step-up check needs it. */
export type SessionDecider = (
  accountId: string,
  context: LoginContext,
  stepUp: string | undefined,
) => Promise<Decision | undefined>;

/** What the check needs besides the request. */
export interface StepUpOptions {
  decide: SessionDecider;
  /** `policies.mfaSessionMinutes`. */
  mfaSessionMinutes: number;
  /** Epoch milliseconds now. */
  now: () => number;
  /** The client address of a request (trusted proxies resolved). */
  address: (req: Request) => string;
}

/**
 * A check of oidc-provider's login prompt: a browser that already has a session is sent back to
 * the hosted login when the policy now needs more than the session proved — a second factor the
 * session has not done (or did longer ago than `mfaSessionMinutes`), or a denial. The hosted
 * login then asks only for the second factor.
 */
export function stepUpCheck(options: StepUpOptions): InstanceType<typeof interactionPolicy.Check> {
  return new interactionPolicy.Check(STEP_UP_CHECK, 'a second factor is required', async (ctx) => {
    const { session, client, params, result } = (ctx as KoaContextWithOIDC).oidc;
    if (!session?.accountId || result?.login || !client) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
    const req = ctx.req as Request;
    const device = ctx.cookies.get(DEVICE_COOKIE, { signed: false });
    const decision = await inOidcTerms(() =>
      options.decide(
        session.accountId!,
        {
          address: options.address(req),
          door: 'oidc',
          application: client.clientId,
          ...(device ? { device } : {}),
        },
        // Extra client metadata keeps its snake_case name (`require_mfa`) on the client.
        requestedStepUp(params?.acr_values, (client.metadata() as Record<string, unknown>)[REQUIRE_MFA]),
      ),
    );
    if (!decision || decision.action === 'deny') return interactionPolicy.Check.REQUEST_PROMPT;
    if (decision.action === 'allow') return interactionPolicy.Check.NO_NEED_TO_PROMPT;
    const mfaAt = session.acr === ACR_MFA && session.loginTs ? session.loginTs * 1000 : undefined;
    const counts = mfaAt !== undefined && options.now() - mfaAt <= options.mfaSessionMinutes * 60_000;
    return counts ? interactionPolicy.Check.NO_NEED_TO_PROMPT : interactionPolicy.Check.REQUEST_PROMPT;
  });
}
