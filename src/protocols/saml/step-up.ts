import { AUTHN_CONTEXT_MFA } from './name-id.js';

/**
 * AuthnContextClassRefs that ask for more than a password. Microsoft's multipleauthn is what
 * Entra sends; the others are the usual names of strong contexts (REFEDS MFA, SAML 2.0 classes).
 */
const MFA_CONTEXTS = new Set([
  AUTHN_CONTEXT_MFA,
  'https://refeds.org/profile/mfa',
  'urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorContract',
  'urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorUnregistered',
  'urn:oasis:names:tc:SAML:2.0:ac:classes:TimeSyncToken',
]);

/**
 * The step-up reason the policy engine gets from a RequestedAuthnContext (like OIDC's
 * `acr_values`): set when the SP asks for a multi-factor context exactly, or for at least /
 * better than one. Comparison "maximum" never forces one.
 */
export function requestedStepUp(
  requested: { comparison: string; classRefs: string[] } | undefined,
): string | undefined {
  if (!requested || requested.comparison === 'maximum') return undefined;
  return requested.classRefs.some((ref) => MFA_CONTEXTS.has(ref)) ? 'requested_authn_context' : undefined;
}
