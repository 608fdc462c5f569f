import ipaddr from 'ipaddr.js';
import type { AttemptRecorder } from '../../attempts/writer.js';
import type { Clock } from '../../clock.js';
import type { Config } from '../../config/load.js';
import { continentOf } from '../../geo/countries.js';
import type { CountryLookup } from '../../geo/country-lookup.js';
import type { AuditEvent, AuditRepository } from '../../store/repositories/audit.js';
import type { PoliciesRepository } from '../../store/repositories/policies.js';
import type { Token } from '../../store/repositories/tokens.js';
import type { User } from '../../store/repositories/users.js';
import type { WriteBatch } from '../../store/write-batch.js';
import type { AttemptContext } from './attempt.js';
import type { LearnedTrust } from './context/learned-trust.js';
import type { LoginHistory } from './context/login-history.js';
import type { Decision } from './decision.js';
import type { LoginFacts } from './facts.js';
import { AUTHENTICATION_KIND } from './rule.js';
import { RuleSet } from './rule-set.js';

/**
 * How long the compiled rules are used before the store is asked whether another process or
 * node changed a policy (monotonic time: a test's fixed clock does not freeze it).
 */
export const POLICY_RECHECK_MS = 1000;

/** A login's context as a door sees it, plus the browser or device it came from. */
export interface LoginContext extends AttemptContext {
  /** A stable id of the browser or device (a long-lived cookie), when the door has one. */
  device?: string;
  /**
   * The application's name as its users know it (OIDC client_name, SAML SP displayName), kept in
   * the audit event so the user's own list of sign-ins can name it.
   */
  applicationName?: string;
}

/** What the Authentication Policy is built from. */
export interface AuthenticationPolicyDeps {
  policies: PoliciesRepository;
  geo: CountryLookup;
  trust: Pick<LearnedTrust, 'isTrusted' | 'recordMfaSuccess'>;
  history: Pick<LoginHistory, 'seen' | 'record'>;
  /**
   * Types of the second factors the user can answer with now (in any order); `tokens` are the
   * user's tokens as the caller just read them (else they are read).
   */
  factorTypes: (user: User, tokens?: readonly Token[]) => Promise<readonly string[]>;
  audit: AuditRepository;
  /** Where each login's outcome goes for monitoring (absent: not recorded, as in the simulator). */
  attempts?: AttemptRecorder;
  settings: Config['policies'];
  clock: Clock;
  /**
   * Adjusts the decision after the rules, for what lies outside them (the licence's
   * `licences.withoutSeat`); every door's sign-in passes here.
   */
  afterRules?: (
    user: User,
    context: LoginContext,
    decision: Decision,
    options: DecideOptions,
  ) => Promise<Decision>;
}

/** What a door asks on top of the policy. */
export interface DecideOptions {
  /** A second factor is wanted whatever the rules say, and why (acr_values, the application's minimum ...). */
  stepUp?: string;
  /**
   * The user's tokens as the caller read them for this sign-in, which goes on to use them (RADIUS
   * inline checks a code against them; the hosted login offers them in the challenge it starts):
   * the policy reads them no second time.
   */
  tokens?: readonly Token[];
}

/** The parsed address, IPv4-mapped IPv6 as IPv4; null when it is not an IP address. */
export function parseAddress(address: string): LoginFacts['ip'] {
  try {
    return ipaddr.process(address);
  } catch {
    return null;
  }
}

/**
 * The Authentication Policy: from a login's context (address, country, learned trust, device,
 * groups, application, door, time, the user's tokens) decides whether a second factor is
 * needed, which methods are allowed and how passcodes are sent. Rules are compiled once per
 * change and shared by every login of the process.
 */
export class AuthenticationPolicy {
  private cache: { version: string; rules: RuleSet; checkedAt: number; changesHere: number } | undefined;

  constructor(private readonly deps: AuthenticationPolicyDeps) {}

  /**
   * The compiled rules, rebuilt when a policy changed: a change made by this process is seen at
   * once, one made by another process or node within {@link POLICY_RECHECK_MS} (the store's
   * version is asked at most that often instead of at every sign-in).
   */
  async rules(): Promise<RuleSet> {
    const { policies } = this.deps;
    const changesHere = policies.changesHere;
    const checkedAt = performance.now();
    if (
      this.cache &&
      this.cache.changesHere === changesHere &&
      checkedAt - this.cache.checkedAt < POLICY_RECHECK_MS
    )
      return this.cache.rules;
    const version = await policies.version(AUTHENTICATION_KIND);
    if (this.cache?.version === version) {
      this.cache = { ...this.cache, checkedAt, changesHere };
    } else {
      const rules = RuleSet.compile(await policies.list(AUTHENTICATION_KIND));
      this.cache = { version, rules, checkedAt, changesHere };
    }
    return this.cache.rules;
  }

  /** Resolves the facts the rules look at; reads the store, writes nothing. */
  async facts(user: User, context: LoginContext, tokens?: readonly Token[]): Promise<LoginFacts> {
    const { geo, trust, history, clock } = this.deps;
    const country = geo.country(context.address);
    const [tokenTypes, seen] = await Promise.all([
      this.deps.factorTypes(user, tokens),
      history.seen(user.id, country, context.device ?? null),
    ]);
    // A learned address never stands in for a first factor enrolment: only users with one have trust.
    const trustedAddress = tokenTypes.length > 0 && (await trust.isTrusted(user.id, context.address));
    return {
      address: context.address,
      ip: parseAddress(context.address),
      country,
      continent: country ? continentOf(country) : null,
      door: context.door,
      application: context.application ?? '',
      groups: new Set(user.groups.map((g) => g.toLowerCase())),
      tokenTypes: new Set(tokenTypes),
      trustedAddress,
      newCountry: seen.newCountry,
      newDevice: seen.newDevice,
      at: clock(),
    };
  }

  /** Decides a login from its facts: the first matching rule, else the built-in default. */
  evaluate(rules: RuleSet, facts: LoginFacts, options: DecideOptions = {}): Decision {
    const { settings } = this.deps;
    const summary = {
      address: facts.address,
      country: facts.country,
      continent: facts.continent,
      door: facts.door,
      application: facts.application,
      trustedAddress: facts.trustedAddress,
      newCountry: facts.newCountry,
      newDevice: facts.newDevice,
    };
    const match = rules.evaluate(facts);
    const radius = match?.radius ? { radius: match.radius } : {};
    let decision: Decision;
    if (match?.outcome.action === 'deny') {
      return {
        action: 'deny',
        rule: match.rule,
        message: match.outcome.message,
        overrides: {},
        facts: summary,
      };
    } else if (match?.outcome.action === 'mfa') {
      const { methods, passcodePolicy, loadBalancingPolicy } = match.outcome;
      decision = {
        action: 'mfa',
        rule: match.rule,
        ...(methods ? { methods } : {}),
        ...radius,
        overrides: {
          ...(passcodePolicy ? { passcodePolicy } : {}),
          ...(loadBalancingPolicy ? { loadBalancingPolicy } : {}),
        },
        facts: summary,
      };
    } else if (match) {
      decision = { action: 'allow', rule: match.rule, ...radius, overrides: {}, facts: summary };
    } else if (settings.learning.enabled && facts.trustedAddress) {
      decision = { action: 'allow', rule: 'default:learned-trust', overrides: {}, facts: summary };
    } else {
      const mfa = facts.tokenTypes.size > 0 || settings.requireMfa;
      decision = { action: mfa ? 'mfa' : 'allow', rule: 'default', overrides: {}, facts: summary };
    }
    if (decision.action === 'allow' && options.stepUp) {
      return { ...decision, action: 'mfa', stepUp: options.stepUp };
    }
    return decision;
  }

  /** Decides a login: resolves its facts and evaluates the rules (then `afterRules`, which may audit). */
  async decide(user: User, context: LoginContext, options: DecideOptions = {}): Promise<Decision> {
    const [rules, facts] = await Promise.all([this.rules(), this.facts(user, context, options.tokens)]);
    const decision = this.evaluate(rules, facts, options);
    return this.deps.afterRules ? this.deps.afterRules(user, context, decision, options) : decision;
  }

  /**
   * After a login succeeded: remembers its country and device, learns the network when a second
   * factor the policy itself required was passed (nothing is learned where MFA is skipped
   * anyway, nor from a step-up an application asked for), and records the audit event and the
   * sign-in attempt. With a batch, the history and the audit event join it (stored when the
   * caller commits it, before it answers).
   */
  async completed(
    user: User,
    context: LoginContext,
    decision: Decision,
    second?: SecondStep,
    batch?: WriteBatch,
  ): Promise<void> {
    const { trust, history, audit } = this.deps;
    if (!second?.verificationOnly)
      this.deps.attempts?.record({
        origin: context,
        user: { id: user.id, name: user.username },
        result: 'success',
        decision,
        method: second?.method ?? 'password',
      });
    await history.record(
      user.id,
      decision.facts.country,
      context.device ?? null,
      batch ? { batch, newDevice: decision.facts.newDevice } : undefined,
    );
    const learn = decision.action === 'mfa' && !decision.stepUp && second?.method !== undefined;
    // Learning reads and writes under its own lock: never batched.
    const learned = learn ? await trust.recordMfaSuccess(user.id, context.address) : undefined;
    const event: AuditEvent = {
      type: 'login',
      outcome: 'success',
      userId: user.id,
      username: user.username,
      address: context.address,
      details: {
        ...decisionDetails(decision),
        ...(context.applicationName ? { applicationName: context.applicationName } : {}),
        offered: second?.offered ?? [],
        method: second?.method ?? null,
        ...(learned?.newlyTrusted ? { learnedNetwork: learned.network } : {}),
      },
    };
    await audit.recordWith(batch, event);
  }

  /** Records a login the policy denied. */
  async denied(user: User, context: LoginContext, decision: Decision): Promise<void> {
    this.deps.attempts?.record({
      origin: context,
      user: { id: user.id, name: user.username },
      result: 'denied',
      reason: decision.message ?? 'ACCESS_DENIED',
      decision,
    });
    await this.deps.audit.record({
      type: 'login',
      outcome: 'denied',
      reason: decision.message ?? 'ACCESS_DENIED',
      userId: user.id,
      username: user.username,
      address: context.address,
      details: decisionDetails(decision),
    });
  }
}

/** The second step of a login, for the audit log. */
export interface SecondStep {
  /** Method types offered, in order. */
  offered: readonly string[];
  /** The method type used. */
  method?: string;
  /**
   * The flow only verified who the user is (a reset journey): not a sign-in, so no attempt is
   * recorded here; its door records one when the journey ends.
   */
  verificationOnly?: boolean;
}

function decisionDetails(decision: Decision): Record<string, unknown> {
  return {
    door: decision.facts.door,
    application: decision.facts.application,
    country: decision.facts.country,
    rule: decision.rule,
    action: decision.action,
    ...(decision.stepUp ? { stepUp: decision.stepUp } : {}),
    ...(decision.methods ? { methods: decision.methods } : {}),
    trustedAddress: decision.facts.trustedAddress,
    newCountry: decision.facts.newCountry,
    newDevice: decision.facts.newDevice,
  };
}
