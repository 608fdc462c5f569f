import { createDispatcher } from '../dispatch/create-dispatcher.js';
import type { Dispatcher } from '../dispatch/dispatcher.js';
import type { Engine } from '../doors/core.js';
import { Challenges } from '../engine/challenges.js';
import { FirstFactor } from '../engine/first-factor.js';
import type { Translate } from '../engine/passcode-message.js';
import { PasscodeSender } from '../engine/passcode-sender.js';
import type { Sessions } from '../engine/sessions.js';
import { SingleSignOn } from '../engine/single-sign-on.js';
import { UserOperations } from '../engine/user-operations.js';
import { VouchedFirstFactor } from '../engine/vouched-first-factor.js';
import { withoutSeatGate } from '../licences/without-seat.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { AuthenticationPolicy } from '../policy/authentication/authentication-policy.js';
import { loadLoadBalancingPolicies } from '../policy/load-balancing-store.js';
import { PolicyStore } from '../policy/policy-store.js';
import { type Core, scryptParams } from './core.js';
import { composeSessions } from './sessions.js';

/** What the engine needs besides the core: a log, the sign-in counters and the passcode texts. */
export interface EngineRuntime {
  /** The public URL (the issuer of Logout Tokens); default: the configuration's. */
  publicUrl?: string;
  logger: Logger;
  metrics: Metrics;
  translate: Translate;
}

/** Builds the engine every door shares, once, over the core: real gateways, the Authentication Policy. */
export function composeEngine(core: Core, runtime: EngineRuntime): Engine {
  const { dispatcher, sender, challenges } = composeChallenges(core, runtime);
  const firstFactor = new FirstFactor(
    core.directory,
    core.throttle,
    core.audit,
    core.config.loginThrottle,
    (outcome) => runtime.metrics.logins.inc({ outcome }),
    runtime.logger,
    core.attempts,
  );
  const vouchedFirstFactor = new VouchedFirstFactor(core.users, core.directory, core.audit, core.attempts);
  const policy = composeAuthenticationPolicy(core, challenges);
  const sessions = composeSessions(core, ...(runtime.publicUrl ? [runtime.publicUrl] : []));
  const sso = new SingleSignOn({
    sessions,
    users: core.users,
    directory: core.directory,
    policy,
    mfaSessionMinutes: core.config.policies.mfaSessionMinutes,
    clock: core.clock,
  });
  return {
    dispatcher,
    sender,
    challenges,
    firstFactor,
    vouchedFirstFactor,
    policy,
    sessions,
    sso,
    seats: core.seats,
    userOperations: composeUserOperations(core, sessions),
  };
}

/** The operations on users over the core and a set of sessions (the CLI builds its own sessions). */
export function composeUserOperations(core: Core, sessions: Sessions): UserOperations {
  const { config } = core;
  return new UserOperations({
    users: core.users,
    tokens: core.tokens,
    tokenTypes: core.tokenTypes,
    learnedTrust: core.learnedTrust,
    sessions,
    clock: core.clock,
    issuer: config.mfa.issuer,
    resyncWindow: config.mfa.resyncWindow,
    scrypt: scryptParams(config),
    learning: config.policies.learning,
  });
}

/**
 * The second-factor engine over the core: gateways and the dispatcher, the passcode sender and
 * the challenge API. Separate from the rest so that tests can build it alone.
 */
export function composeChallenges(core: Core, runtime: { logger: Logger; translate: Translate }) {
  const { config, clock } = core;
  const dispatcher = createDispatcher({
    dispatch: config.dispatch,
    loadPolicies: (onInvalid) => loadLoadBalancingPolicies(core.policies, onInvalid),
    attempts: core.repositories.deliveryAttempts,
    logger: runtime.logger,
    clock,
    dataDir: config.dataDir,
  });
  const { sender, challenges } = composeSenderAndChallenges(core, dispatcher, runtime.translate);
  return { dispatcher, sender, challenges };
}

/**
 * The passcode sender and the challenge engine over a dispatcher: the server's (real gateways)
 * and the policy simulator's (gateways that never send) are built the same way.
 */
export function composeSenderAndChallenges(
  core: Core,
  dispatcher: Dispatcher,
  translate: Translate,
): { sender: PasscodeSender; challenges: Challenges } {
  const { clock } = core;
  const sender = new PasscodeSender(
    core.passcodes,
    core.passcodeHasher,
    dispatcher,
    new PolicyStore(core.policies),
    translate,
    core.audit,
    core.config.mfa.passcodeLimit,
    clock,
  );
  const challenges = new Challenges(
    core.users,
    core.tokens,
    core.tokenTypes,
    core.secondFactor,
    sender,
    core.repositories.challenges,
    core.passcodes,
    core.config.mfa,
    clock,
  );
  return { sender, challenges };
}

/** The Authentication Policy: rules from the store, facts from geo, learned trust and login history. */
export function composeAuthenticationPolicy(core: Core, challenges: Challenges): AuthenticationPolicy {
  const { clock, config } = core;
  return new AuthenticationPolicy({
    policies: core.policies,
    geo: core.geo,
    trust: core.learnedTrust,
    history: core.loginHistory,
    factorTypes: async (user, tokens) =>
      (await challenges.offersFor(user, undefined, tokens ? { tokens } : {})).map((offer) => offer.type),
    audit: core.audit,
    attempts: core.attempts,
    settings: config.policies,
    clock,
    ...(config.licences.withoutSeat
      ? { afterRules: withoutSeatGate(core.seats, config.licences.withoutSeat, core.audit) }
      : {}),
  });
}
