import { interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import { ACR_MFA, ACR_PASSWORD } from '../../engine/sessions.js';
import type { ReuseOutcome } from '../../engine/single-sign-on.js';

/** ACRs of a login with the password alone, and with a second factor: the single sign-on session's. */
export { ACR_MFA, ACR_PASSWORD };
/** The login-prompt check that asks for a second factor on top of an existing session. */
export const STEP_UP_CHECK = 'passgate_step_up';
/** Client metadata key (metadata/oidc/*.yaml) for an application that always needs MFA. */
export const REQUIRE_MFA = 'require_mfa';

/** Why a request wants MFA whatever the rules say: acr_values naming it, or the client's minimum. */
export function requestedStepUp(acrValues: unknown, clientRequiresMfa: unknown): string | undefined {
  if (typeof acrValues === 'string' && acrValues.split(' ').includes(ACR_MFA)) return 'acr_values';
  return clientRequiresMfa === true ? 'application' : undefined;
}

/**
 * A check of oidc-provider's login prompt: a browser that already has a session is sent back to
 * the hosted login when the policy now needs more than the single sign-on session proved — a
 * second factor it has not done (or did longer ago than `policies.mfaSessionMinutes`), or a
 * denial. The hosted login then asks only for the second factor. What the session can do was
 * found by the binding prompt before (`ssoOutcome`).
 */
export function stepUpCheck(
  outcomeOf: (ctx: KoaContextWithOIDC) => ReuseOutcome | undefined,
): InstanceType<typeof interactionPolicy.Check> {
  return new interactionPolicy.Check(STEP_UP_CHECK, 'a second factor is required', async (ctx) => {
    const { session, result } = (ctx as KoaContextWithOIDC).oidc;
    if (!session?.accountId || result?.login) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
    const outcome = outcomeOf(ctx as KoaContextWithOIDC);
    return outcome?.kind === 'step_up' || outcome?.kind === 'deny'
      ? interactionPolicy.Check.REQUEST_PROMPT
      : interactionPolicy.Check.NO_NEED_TO_PROMPT;
  });
}
