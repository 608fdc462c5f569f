import type { Config } from '../../config/load.js';
import type { Channel } from '../../dispatch/gateway.js';
import type { RoutePreview } from '../../dispatch/preview.js';
import { countryName } from '../../geo/countries.js';
import type { PoliciesRepository } from '../../store/repositories/policies.js';
import type { User, UsersRepository } from '../../store/repositories/users.js';
import type { PasscodePolicy } from '../passcode-policy.js';
import type { MethodOffer } from './attempt.js';
import { type AuthenticationPolicy, parseAddress } from './authentication-policy.js';
import type { Decision } from './decision.js';
import { SimulationErrors } from './errors.js';
import { AUTHENTICATION_KIND } from './rule.js';
import { explain } from './simulation-reason.js';

/** A login to simulate, as an administrator describes it. */
export interface SimulationRequest {
  username: string;
  /** Source address (IPv4 or IPv6). */
  address: string;
  /** The door; `oidc` when omitted. */
  door?: string;
  /** OIDC client id, SAML SP name ...; none when omitted. */
  application?: string;
  /** When the login happens (epoch ms); now when omitted. */
  at?: number;
  /** Id of the browser or device the login comes from. */
  device?: string;
  /** Why the application wants a second factor whatever the rules say (acr_values ...). */
  stepUp?: string;
}

/** The acr_values that ask for a second factor (the OIDC door's `urn:passgate:acr:mfa`), and those that do not. */
const MFA_ACR = new Set(['mfa', 'urn:passgate:acr:mfa']);
const PASSWORD_ACR = new Set(['password', 'urn:passgate:acr:password']);

/**
 * The step-up a simulated application asks for: `acr_values` for an acr asking for MFA,
 * `application` when it requires one itself; SIMULATION_INVALID_INPUT for an acr that is
 * neither mfa nor password. Shared by `policy test` and the administration site.
 */
export function stepUpFor(acr: string | undefined, applicationRequiresMfa = false): string | undefined {
  if (acr !== undefined && !MFA_ACR.has(acr) && !PASSWORD_ACR.has(acr))
    throw SimulationErrors.SIMULATION_INVALID_INPUT({ detail: `"${acr}" is not mfa or password` });
  return acr && MFA_ACR.has(acr) ? 'acr_values' : applicationRequiresMfa ? 'application' : undefined;
}

/** What the simulator reads; every part must write nothing (see composePolicySimulator). */
export interface SimulatorDeps {
  users: Pick<UsersRepository, 'findByUsername'>;
  policies: Pick<PoliciesRepository, 'get'>;
  /** The engine's Authentication Policy, over parts that only read. */
  policy: Pick<AuthenticationPolicy, 'rules' | 'facts' | 'evaluate'>;
  /** The methods a user could answer with, as a challenge would offer them (writes nothing). */
  offers(user: User, methods?: readonly string[], passcodePolicy?: string): Promise<MethodOffer[]>;
  /** The Passcode Policy in force for a name: that one, else `default`, else the built-in one. */
  passcodePolicy(name?: string): Promise<{ name: string; policy: PasscodePolicy }>;
  /** How the dispatcher would place a message of a channel (nothing sent, no state touched). */
  route(channel: Channel, loadBalancingPolicy?: string): Promise<RoutePreview | null>;
  settings: Config['policies'];
  clock: () => number;
}

/** The passcode a login would send first, and how. */
export interface PasscodePreview {
  channel: string;
  /** Masked destination. */
  destination: string;
  /** Sent as soon as the second-factor step starts (it is the preferred method), else on request. */
  automatic: boolean;
  passcodePolicy: string;
  /** Load Balancing Policy and gateway order; null when no gateway carries the channel. */
  route: RoutePreview | null;
}

/** What would happen to a login, and why. */
export interface Simulation {
  user: { username: string; displayName: string | null; disabled: boolean };
  request: { door: string; application: string; at: string; device: string | null; stepUp: string | null };
  facts: Decision['facts'] & {
    countryName: string | null;
    groups: string[];
    /** The user's usable second factors (masked destinations). */
    factors: Array<Pick<MethodOffer, 'type' | 'label'>>;
  };
  /** Enabled rules, checked in order. */
  rules: number;
  rule: string;
  /** The matched rule's description, or why the default applies. */
  reason: string;
  action: Decision['action'];
  message: string | null;
  stepUp: string | null;
  /** For mfa: the methods offered, in order. */
  methods: MethodOffer[];
  passcode: PasscodePreview | null;
  /** Why the login would fail even so (no method to offer), or null. */
  problem: string | null;
}

/**
 * Simulates a login through the engine's own decision (`AuthenticationPolicy.facts` and
 * `evaluate`): which rule matches, what it decides, which methods would be offered and how the
 * first passcode would travel. Reads the store, sends and writes nothing; for `policy test` and
 * the admin site.
 */
export async function simulateLogin(deps: SimulatorDeps, request: SimulationRequest): Promise<Simulation> {
  if (parseAddress(request.address) === null)
    throw SimulationErrors.SIMULATION_INVALID_INPUT({ detail: `"${request.address}" is not an IP address` });
  const at = request.at ?? deps.clock();
  if (!Number.isFinite(at)) throw SimulationErrors.SIMULATION_INVALID_INPUT({ detail: 'invalid time' });
  const user = await deps.users.findByUsername(request.username);
  if (!user || user.removedAt !== null)
    throw SimulationErrors.SIMULATION_UNKNOWN_USER({ detail: `no user "${request.username}"` });
  const context = {
    address: request.address,
    door: request.door ?? 'oidc',
    application: request.application ?? '',
    ...(request.device ? { device: request.device } : {}),
  };
  const [rules, resolved, factors] = await Promise.all([
    deps.policy.rules(),
    deps.policy.facts(user, context),
    deps.offers(user),
  ]);
  const facts = { ...resolved, at };
  const decision = deps.policy.evaluate(rules, facts, request.stepUp ? { stepUp: request.stepUp } : {});
  const stored = await deps.policies.get(AUTHENTICATION_KIND, decision.rule);
  const methods =
    decision.action === 'mfa'
      ? await deps.offers(user, decision.methods, decision.overrides.passcodePolicy)
      : [];
  return {
    user: { username: user.username, displayName: user.displayName, disabled: user.disabled },
    request: {
      door: context.door,
      application: context.application,
      at: new Date(at).toISOString(),
      device: request.device ?? null,
      stepUp: request.stepUp ?? null,
    },
    facts: {
      ...decision.facts,
      countryName: decision.facts.country ? countryName(decision.facts.country) : null,
      groups: user.groups,
      factors: factors.map(({ type, label }) => ({ type, label })),
    },
    rules: rules.size,
    rule: decision.rule,
    reason: explain(decision, facts, deps.settings, stored?.document),
    action: decision.action,
    message: decision.action === 'deny' ? (decision.message ?? 'ACCESS_DENIED') : null,
    stepUp: decision.stepUp ?? null,
    methods,
    passcode: await passcodeOf(deps, decision, methods),
    problem:
      decision.action === 'mfa' && methods.length === 0
        ? 'no method to offer: the login would fail with MFA_NO_FACTOR'
        : null,
  };
}

/** The first passcode channel among the offers, its Passcode Policy and its route. */
async function passcodeOf(
  deps: SimulatorDeps,
  decision: Decision,
  methods: readonly MethodOffer[],
): Promise<PasscodePreview | null> {
  const first = methods.find((m) => m.source === 'sent');
  if (!first) return null;
  const { passcodePolicy, loadBalancingPolicy } = decision.overrides;
  return {
    channel: first.type,
    destination: first.label,
    automatic: methods[0] === first,
    passcodePolicy: (await deps.passcodePolicy(passcodePolicy)).name,
    route: await deps.route(first.type as Channel, loadBalancingPolicy),
  };
}
