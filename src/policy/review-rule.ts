import { AUTHENTICATION_KIND, type AuthenticationRule } from './authentication/rule.js';
import type { PolicyStore } from './policy-store.js';

/** A rule proposed for review: a rule document; whatever its `enabled` says, it is stored disabled. */
export type ProposedRule = Omit<Partial<AuthenticationRule>, 'outcome'> & {
  outcome: AuthenticationRule['outcome'] | Record<string, unknown>;
};

/**
 * Stores a new Authentication Policy rule disabled, last in the order, for an administrator to
 * review and enable (a what-if's suggestion becomes a rule that changes nothing until then). The
 * rule gets the same checks as `passgate policy set` (POLICY_INVALID naming the field); an
 * existing rule of that name is never replaced (POLICY_EXISTS). Returns the stored document.
 */
export async function createRuleForReview(
  store: PolicyStore,
  name: string,
  rule: ProposedRule | Record<string, unknown>,
): Promise<AuthenticationRule> {
  const document = { ...rule, enabled: false };
  return (await store.put(AUTHENTICATION_KIND, name, document, null)) as AuthenticationRule;
}
