import type { StoredPolicy } from '../../store/repositories/policies.js';
import { CONDITIONS } from './conditions/registry.js';
import type { LoginFacts } from './facts.js';
import {
  type AuthenticationRule,
  authenticationRuleSchema,
  type RadiusOutcome,
  type RuleOutcome,
} from './rule.js';

type Predicate = (facts: LoginFacts) => boolean;

interface CompiledRule {
  name: string;
  outcome: RuleOutcome;
  radius: RadiusOutcome | undefined;
  when: Predicate[];
  unless: Predicate[] | null;
}

/** The rule that matched a login, and its outcome. */
export interface RuleMatch {
  rule: string;
  outcome: RuleOutcome;
  radius?: RadiusOutcome | undefined;
}

function compileConditions(conditions: Record<string, unknown>): Predicate[] {
  const predicates: Predicate[] = [];
  for (const type of CONDITIONS) {
    const value = conditions[type.key];
    if (value !== undefined) predicates.push(type.compile(value as never));
  }
  return predicates;
}

const all = (predicates: Predicate[], facts: LoginFacts) => {
  for (const predicate of predicates) if (!predicate(facts)) return false;
  return true;
};

/**
 * The rules of an Authentication Policy compiled into predicates once, so that a decision is
 * plain comparisons in order: the first enabled rule whose `when` holds and whose `unless` does
 * not decides.
 */
export class RuleSet {
  private constructor(private readonly rules: readonly CompiledRule[]) {}

  /** Compiles stored rules (already validated when stored; parsed again for their defaults). */
  static compile(policies: readonly StoredPolicy[]): RuleSet {
    const rules: CompiledRule[] = [];
    for (const policy of policies) {
      const rule: AuthenticationRule = authenticationRuleSchema.parse(policy.document);
      if (!rule.enabled) continue;
      const unless = compileConditions(rule.unless ?? {});
      rules.push({
        name: policy.name,
        outcome: rule.outcome,
        radius: rule.radius,
        when: compileConditions(rule.when),
        unless: unless.length > 0 ? unless : null,
      });
    }
    return new RuleSet(rules);
  }

  /** Number of enabled rules. */
  get size(): number {
    return this.rules.length;
  }

  /** The first rule that matches, or undefined when none does. */
  evaluate(facts: LoginFacts): RuleMatch | undefined {
    for (const rule of this.rules) {
      if (!all(rule.when, facts)) continue;
      if (rule.unless && all(rule.unless, facts)) continue;
      return { rule: rule.name, outcome: rule.outcome, radius: rule.radius };
    }
    return undefined;
  }
}
