import type { PolicyKnowledge } from './conditions/condition.js';
import { CONDITIONS } from './conditions/registry.js';
import type { AuthenticationRule } from './rule.js';

/** What checking a rule against the rest of the store needs. */
export interface RuleKnowledge extends PolicyKnowledge {
  /** True when a policy of that kind and name exists (or is part of the same import). */
  policyExists(kind: string, name: string): Promise<boolean>;
}

/**
 * Problems of a valid-looking rule that only the store can tell: unknown groups, and Passcode or
 * Load Balancing Policies that do not exist. Each one a message naming the field.
 */
export async function checkRule(rule: AuthenticationRule, knowledge: RuleKnowledge): Promise<string[]> {
  const problems: string[] = [];
  for (const [part, conditions] of [
    ['when', rule.when],
    ['unless', rule.unless ?? {}],
  ] as const) {
    for (const type of CONDITIONS) {
      const value = (conditions as Record<string, unknown>)[type.key];
      if (value === undefined || !type.check) continue;
      for (const message of await type.check(value as never, knowledge))
        problems.push(`${part}.${type.key}: ${message}`);
    }
  }
  if (rule.outcome.action === 'mfa') {
    for (const [field, kind] of [
      ['passcodePolicy', 'passcode'],
      ['loadBalancingPolicy', 'load-balancing'],
    ] as const) {
      const name = rule.outcome[field];
      if (name && !(await knowledge.policyExists(kind, name)))
        problems.push(`outcome.${field}: no ${kind} policy "${name}"`);
    }
  }
  return problems;
}
