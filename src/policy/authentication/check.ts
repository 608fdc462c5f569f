import type { PolicyKnowledge } from './conditions/condition.js';
import { CONDITIONS } from './conditions/registry.js';
import type { AuthenticationRule } from './rule.js';

/** What checking a rule against the rest of the store needs. */
export interface RuleKnowledge extends PolicyKnowledge {
  /** True when a policy of that kind and name exists (or is part of the same import). */
  policyExists(kind: string, name: string): Promise<boolean>;
}

/** One problem of a policy document: the field (a dot path in the document) and what is wrong. */
export interface PolicyProblem {
  /** e.g. `when.groups`; empty for the document as a whole. */
  path: string;
  message: string;
}

/**
 * Problems of a valid-looking rule that only the store can tell: unknown groups, and Passcode or
 * Load Balancing Policies that do not exist. Each one with the field it is about.
 */
export async function checkRule(
  rule: AuthenticationRule,
  knowledge: RuleKnowledge,
): Promise<PolicyProblem[]> {
  const problems: PolicyProblem[] = [];
  for (const [part, conditions] of [
    ['when', rule.when],
    ['unless', rule.unless ?? {}],
  ] as const) {
    for (const type of CONDITIONS) {
      const value = (conditions as Record<string, unknown>)[type.key];
      if (value === undefined || !type.check) continue;
      for (const message of await type.check(value as never, knowledge))
        problems.push({ path: `${part}.${type.key}`, message });
    }
  }
  if (rule.outcome.action === 'mfa') {
    for (const [field, kind] of [
      ['passcodePolicy', 'passcode'],
      ['loadBalancingPolicy', 'load-balancing'],
    ] as const) {
      const name = rule.outcome[field];
      if (name && !(await knowledge.policyExists(kind, name)))
        problems.push({ path: `outcome.${field}`, message: `no ${kind} policy "${name}"` });
    }
  }
  return problems;
}
