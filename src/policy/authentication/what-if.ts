import type { StoredPolicy } from '../../store/repositories/policies.js';
import type { User } from '../../store/repositories/users.js';
import type { AuthenticationRule } from './rule.js';
import { AUTHENTICATION_KIND } from './rule.js';
import { RuleSet } from './rule-set.js';
import type { SimulatorDeps } from './simulate.js';

/** What the "what if" of the monitoring page proposes: deny or require MFA from one country, except some groups. */
export interface CountryRuleProposal {
  /** ISO 3166-1 alpha-2. */
  country: string;
  action: 'deny' | 'mfa';
  /** Groups whose members the rule leaves alone. */
  exceptGroups: readonly string[];
}

/** One recorded attempt as the dry run replays it (a sign_in_attempts row has these). */
export interface RecordedAttempt {
  at: number;
  user_name: string;
  address: string;
  door: string;
  application: string | null;
}

/** What the proposed rule would have changed over the attempts replayed. */
export interface DryRunResult {
  /** The attempts replayed. */
  attempts: number;
  /** Attempts the rule would have denied that were not denied. */
  denied: number;
  /** Attempts the rule would have asked a second factor of that needed the password alone. */
  steppedUp: number;
  /** Attempts of names no user has (typed wrongly, removed since): no decision to replay. */
  unknownUsers: number;
  /** The users concerned, most attempts first. */
  users: Array<{ user: string; denied: number; steppedUp: number }>;
}

/** The rule document a proposal stands for; `enabled` as given (stored disabled, replayed enabled). */
export function proposedRule(proposal: CountryRuleProposal, enabled: boolean): AuthenticationRule {
  const except = proposal.exceptGroups.length > 0 ? ` except ${proposal.exceptGroups.join(', ')}` : '';
  return {
    description: `${proposal.action === 'deny' ? 'Deny' : 'Require MFA for'} sign-ins from ${proposal.country}${except} (proposed from monitoring)`,
    enabled,
    when: { countries: [proposal.country] },
    ...(proposal.exceptGroups.length > 0 ? { unless: { groups: [...proposal.exceptGroups] } } : {}),
    outcome: proposal.action === 'deny' ? { action: 'deny', message: 'ACCESS_DENIED' } : { action: 'mfa' },
  };
}

/**
 * The "what if" dry run: replays recorded attempts through the policy simulator's decision
 * (`AuthenticationPolicy.facts` and `evaluate`, reading the store, writing nothing) twice —
 * with the stored rules, and with the proposed rule added after them, where creating it puts it
 * — and counts the attempts and users it would have denied or stepped up. Facts are today's
 * (groups, tokens, learned trust, history) at each attempt's time; each user and each
 * (user, address, door, application) is resolved once.
 */
export async function dryRunCountryRule(
  deps: Pick<SimulatorDeps, 'users' | 'policy'>,
  stored: readonly StoredPolicy[],
  proposal: CountryRuleProposal,
  attempts: Iterable<RecordedAttempt>,
): Promise<DryRunResult> {
  const name = '(proposed)';
  const current = RuleSet.compile(stored);
  const last = stored.reduce((max, p) => Math.max(max, p.position), -1);
  const withProposal = RuleSet.compile([
    ...stored,
    {
      kind: AUTHENTICATION_KIND,
      name,
      position: last + 1,
      document: proposedRule(proposal, true),
      updatedAt: 0,
    },
  ]);
  const users = new Map<string, User | null>();
  const facts = new Map<string, Awaited<ReturnType<SimulatorDeps['policy']['facts']>>>();
  const concerned = new Map<string, { denied: number; steppedUp: number; attempts: number }>();
  const result: DryRunResult = { attempts: 0, denied: 0, steppedUp: 0, unknownUsers: 0, users: [] };
  for (const attempt of attempts) {
    result.attempts++;
    const key = attempt.user_name.toLowerCase();
    if (!users.has(key)) {
      const found = await deps.users.findByUsername(attempt.user_name);
      users.set(key, found && found.removedAt === null ? found : null);
    }
    const user = users.get(key);
    if (!user) {
      result.unknownUsers++;
      continue;
    }
    const context = { address: attempt.address, door: attempt.door, application: attempt.application ?? '' };
    const factsKey = JSON.stringify([user.id, context.address, context.door, context.application]);
    let resolved = facts.get(factsKey);
    if (!resolved) {
      resolved = await deps.policy.facts(user, context);
      facts.set(factsKey, resolved);
    }
    const at = { ...resolved, at: attempt.at };
    const before = deps.policy.evaluate(current, at);
    const after = deps.policy.evaluate(withProposal, at);
    if (after.rule !== name) continue;
    const denied = after.action === 'deny' && before.action !== 'deny';
    const steppedUp = after.action === 'mfa' && before.action === 'allow';
    if (!denied && !steppedUp) continue;
    const counted = concerned.get(user.username) ?? { denied: 0, steppedUp: 0, attempts: 0 };
    counted.attempts++;
    if (denied) {
      result.denied++;
      counted.denied++;
    } else {
      result.steppedUp++;
      counted.steppedUp++;
    }
    concerned.set(user.username, counted);
  }
  result.users = [...concerned]
    .sort((a, b) => b[1].attempts - a[1].attempts || a[0].localeCompare(b[0]))
    .map(([user, { denied, steppedUp }]) => ({ user, denied, steppedUp }));
  return result;
}
