import type { z } from 'zod';
import { LOAD_BALANCING_KIND, loadBalancingPolicySchema } from '../dispatch/load-balancing-policy.js';
import type { TokenTypeSpec } from '../tokens/token-type.js';
import { AUTHENTICATION_KIND, authenticationRuleSchema } from './authentication/rule.js';
import { DEVICE_POLICY_KIND, devicePolicySchema } from './device-policy.js';
import { PASSCODE_POLICY_KIND, passcodePolicySchema } from './passcode-policy.js';
import { TOKEN_POLICY_KIND, tokenPolicySchema, tokenPolicySchemaFor } from './token-policy.js';

/**
 * Every kind of administrator policy and the schema its documents must satisfy. A new kind is
 * one schema file plus one line here; storage, the CLI and seeding handle it from then on.
 */
export const POLICY_KINDS: Readonly<Record<string, z.ZodType>> = {
  [AUTHENTICATION_KIND]: authenticationRuleSchema,
  [TOKEN_POLICY_KIND]: tokenPolicySchema,
  [PASSCODE_POLICY_KIND]: passcodePolicySchema,
  [LOAD_BALANCING_KIND]: loadBalancingPolicySchema,
  [DEVICE_POLICY_KIND]: devicePolicySchema,
};

/** The policy kinds over another list of token types than the registry's (a test's extra type). */
export function policyKindsFor(tokenTypes: readonly TokenTypeSpec[]): Readonly<Record<string, z.ZodType>> {
  return { ...POLICY_KINDS, [TOKEN_POLICY_KIND]: tokenPolicySchemaFor(tokenTypes) };
}

/** Names of the policy kinds, for messages and `--help`. */
export const POLICY_KIND_NAMES = Object.keys(POLICY_KINDS);
