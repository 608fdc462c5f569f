import type { Response } from 'express';
import type Provider from 'oidc-provider';
import type { Interaction, InteractionResults } from 'oidc-provider';
import type { LoginFlow, LoginFlowSource } from '../../login/flow.js';
import type { StagedWrites } from '../../store/staged-writes.js';
import { ACR_MFA, ACR_PASSWORD, REQUIRE_MFA, requestedStepUp, STEP_UP_CHECK } from './assurance.js';
import { clientMetadata } from './client-metadata.js';
import { SSO_RESULT } from './session-binding.js';
import { inOidcTerms, isOidcUnavailable } from './unavailable.js';

/**
 * The OpenID Connect door's flows: oidc-provider's login interactions. The uid is the
 * interaction's (bound to this browser by oidc-provider's interaction cookie); finishing hands
 * the login (with its ACR and AMR) back to oidc-provider, which redirects to the application.
 */
export function oidcLoginFlows(provider: () => Provider, staged?: StagedWrites): LoginFlowSource {
  const finish = (interaction: Interaction, res: Response, result: InteractionResults) =>
    finishInteraction(interaction, res, result, staged);
  return {
    async load(req, res, uid) {
      // Without its interaction cookie oidc-provider would build a context only to throw
      // SessionNotFound: the flows of other doors (/login/<uid> of a SAML sign-in) skip that.
      const cookies = req.cookies as Record<string, unknown> | undefined;
      if (cookies?.[provider().cookieName('interaction')] === undefined) return undefined;
      let details: Interaction;
      try {
        details = await provider().interactionDetails(req, res);
      } catch (error) {
        if (isOidcUnavailable(error)) throw error; // the store is away: not an expired sign-in
        return undefined; // no interaction of this browser
      }
      if (details.uid !== uid || !asksToSignIn(details.prompt)) return undefined;
      const clientId = String(details.params.client_id);
      const client = await provider().Client.find(clientId);
      const metadata = client ? (clientMetadata(client) as Record<string, unknown>) : undefined;
      const stepUp = requestedStepUp(details.params.acr_values, metadata?.[REQUIRE_MFA]);
      const hint = details.params.login_hint;
      // Sent back only by the step-up check: the session proved the password, the policy wants more.
      const stepUpOnly =
        details.session?.accountId !== undefined &&
        details.prompt.reasons.length === 1 &&
        details.prompt.reasons[0] === STEP_UP_CHECK;
      const maxAge = Number(details.params.max_age);
      const flow: LoginFlow = {
        uid,
        door: 'oidc',
        application: clientId,
        applicationName: client?.clientName ?? clientId,
        ...(typeof hint === 'string' ? { loginHint: hint } : {}),
        ...(stepUp ? { stepUp } : {}),
        ...(stepUpOnly ? { sessionUserId: details.session!.accountId } : {}),
        // prompt=login: the password now, whatever the session; max_age: a password that recent.
        ...(details.prompt.reasons.includes('login_prompt') ? { fresh: true } : {}),
        // A native client's authorization needs the user taking part (RFC 8252 section 8.6): never from the session.
        sessionReuse: !isNativeClientCheck(details.prompt),
        ...(Number.isInteger(maxAge) && maxAge >= 0 ? { maxAgeMs: maxAge * 1000 } : {}),
        finish: async (_request, response, result, writes) => {
          await writes?.commit();
          await finish(details, response, {
            login: {
              accountId: result.userId,
              amr: result.amr,
              acr: result.mfa ? ACR_MFA : ACR_PASSWORD,
              // auth_time is the single sign-on session's password time.
              ...(result.session ? { ts: Math.floor(result.session.authTime / 1000) } : {}),
            },
            // The user signed in on this very interaction: the interaction a native client needs.
            consent: {},
            // The single sign-on session of the sign-in, where the client is recorded once it has its code.
            ...(result.session ? { [SSO_RESULT]: { session: result.session.id } } : {}),
          });
        },
        cancel: (_request, response) =>
          finish(details, response, {
            error: 'access_denied',
            error_description: 'the user cancelled the sign-in',
          }),
      };
      return flow;
    },
  };
}

/**
 * oidc-provider's check that a native client (RFC 8252, any loopback port) gets no code without
 * the user taking part (section 8.6): another program on the machine could pose as that client.
 */
const NATIVE_CLIENT_CHECK = 'native_client_prompt';

/**
 * Whether the hosted login answers this prompt: a sign-in, or a native client's authorization,
 * for which the user signs in again (consent is otherwise implied: clients are the administrator's).
 */
function asksToSignIn(prompt: { name: string; reasons: string[] }): boolean {
  return prompt.name === 'login' || isNativeClientCheck(prompt);
}

/** Whether the prompt is only oidc-provider's native-client check ({@link NATIVE_CLIENT_CHECK}). */
function isNativeClientCheck(prompt: { name: string; reasons: string[] }): boolean {
  return (
    prompt.name === 'consent' && prompt.reasons.length === 1 && prompt.reasons[0] === NATIVE_CLIENT_CHECK
  );
}

/**
 * Hands the result to oidc-provider and sends the browser back to its authorization endpoint, as
 * `interactionFinished(..., { mergeWithLastSubmission: false })` does, on the interaction this
 * request already loaded (and bound to this browser) instead of reading it from the store again.
 */
async function finishInteraction(
  interaction: Interaction,
  res: Response,
  result: InteractionResults,
  staged: StagedWrites | undefined,
): Promise<void> {
  interaction.result = result;
  const mark = staged?.mark() ?? 0;
  await interaction.save(interaction.exp - Math.floor(Date.now() / 1000));
  // The adapter may not have waited for the save's commit: the browser is sent back once it is stored.
  await inOidcTerms(async () => staged?.settled(mark));
  res.statusCode = 303;
  res.setHeader('Location', interaction.returnTo);
  res.setHeader('Content-Length', '0');
  res.end();
}
