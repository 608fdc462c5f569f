import type { Config } from '../../config/load.js';
import type { Decision } from './decision.js';
import type { LoginFacts } from './facts.js';

/**
 * Why a decision came out as it did, in one sentence for an administrator: the matched rule's
 * own description, or which part of the built-in default applied; and a step-up on top.
 */
export function explain(
  decision: Decision,
  facts: Pick<LoginFacts, 'tokenTypes'>,
  settings: Pick<Config['policies'], 'requireMfa'>,
  ruleDocument: unknown,
): string {
  let reason: string;
  if (decision.rule === 'default:learned-trust') {
    reason = 'no rule matched; the address is in a network the user learned to trust';
  } else if (decision.rule === 'default') {
    reason =
      facts.tokenTypes.size > 0
        ? 'no rule matched; the user has a second factor (built-in default)'
        : settings.requireMfa
          ? 'no rule matched; policies.requireMfa makes a second factor mandatory'
          : 'no rule matched; the user has no second factor, the password alone is enough (built-in default)';
  } else {
    const description = (ruleDocument as { description?: string } | undefined)?.description;
    reason = description
      ? `rule "${decision.rule}" matched: ${description}`
      : `rule "${decision.rule}" matched`;
  }
  return decision.stepUp ? `${reason}; a second factor is required anyway (${decision.stepUp})` : reason;
}
