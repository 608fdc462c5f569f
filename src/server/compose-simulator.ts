import { Dispatcher } from '../dispatch/dispatcher.js';
import { configuredGateways, previewRoute } from '../dispatch/preview.js';
import { createLogger } from '../observability/logger.js';
import { AuthenticationPolicy } from '../policy/authentication/authentication-policy.js';
import type { SimulatorDeps } from '../policy/authentication/simulate.js';
import { loadLoadBalancingPolicies } from '../policy/load-balancing-store.js';
import {
  DEFAULT_PASSCODE_POLICY,
  PASSCODE_POLICY_KIND,
  type PasscodePolicy,
} from '../policy/passcode-policy.js';
import { PolicyStore } from '../policy/policy-store.js';
import type { Core } from './core.js';
import { composeSenderAndChallenges } from './engine.js';

/** What a simulation may never do: every writing method of its parts is this. */
const refuse = () => Promise.reject(new Error('the policy simulator writes nothing'));

/**
 * The policy simulator's parts over the core, all read-only: the engine's own Authentication
 * Policy and challenge offers (in preview), the configured gateways without starting any (no
 * SMPP bind, no mail connection) and a load balancer of its own (the server's rotation and
 * breakers are not touched, nor known: every gateway counts as available).
 */
export function composePolicySimulator(core: Core): SimulatorDeps {
  const { config, clock } = core;
  const logger = createLogger('silent');
  const gateways = configuredGateways(config.dispatch.gateways);
  const lbPolicies = () => loadLoadBalancingPolicies(core.policies, () => {});
  const dispatcher = new Dispatcher({
    gateways,
    loadPolicies: lbPolicies,
    attempts: core.repositories.deliveryAttempts,
    logger,
    clock,
  });
  const store = new PolicyStore(core.policies);
  const { challenges } = composeSenderAndChallenges(core, dispatcher, () => '');
  const offers: SimulatorDeps['offers'] = (user, methods, passcodePolicy) =>
    challenges.offersFor(user, methods, { preview: true, ...(passcodePolicy ? { passcodePolicy } : {}) });
  const policy = new AuthenticationPolicy({
    policies: core.policies,
    geo: core.geo,
    trust: {
      isTrusted: (user, address) => core.learnedTrust.isTrusted(user, address),
      recordMfaSuccess: refuse,
    },
    history: {
      seen: (user, country, device) => core.loginHistory.seen(user, country, device),
      record: refuse,
    },
    factorTypes: async (user) => (await offers(user)).map((offer) => offer.type),
    audit: core.audit, // only completed() and denied() write it, and the simulator calls neither
    settings: config.policies,
    clock,
  });
  return {
    users: core.users,
    policies: core.policies,
    policy,
    offers,
    // As PasscodeSender.policy chooses, with the name of the one chosen.
    passcodePolicy: async (name) => {
      const stored = await store.list(PASSCODE_POLICY_KIND);
      for (const candidate of [name, 'default']) {
        const found = candidate && stored.find((p) => p.name === candidate);
        if (found) return { name: found.name, policy: found.document as PasscodePolicy };
      }
      return { name: '(built-in)', policy: DEFAULT_PASSCODE_POLICY };
    },
    route: async (channel, name) => previewRoute(await lbPolicies(), gateways, channel, name),
    settings: config.policies,
    clock,
  };
}
