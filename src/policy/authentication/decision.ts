import { PassgateError } from '../../errors.js';
import type { ChallengeOverrides } from './attempt.js';
import type { LoginFacts } from './facts.js';
import type { RadiusOutcome } from './rule.js';

/** What the Authentication Policy decided for one login. */
export interface Decision {
  /** allow: the password is enough; mfa: a second factor is required; deny: refused. */
  action: 'allow' | 'mfa' | 'deny';
  /** The rule that matched, or `default` (no rule matched) / `default:learned-trust`. */
  rule: string;
  /** For mfa: allowed method types in order of preference; every method the user has when absent. */
  methods?: string[];
  /** For deny: key of the message the user sees. */
  message?: string;
  /** Passcode and Load Balancing Policies named by the rule for this login. */
  overrides: ChallengeOverrides;
  /** For allow and mfa: what the matching rule adds to a RADIUS Access-Accept (data the door codes). */
  radius?: RadiusOutcome;
  /** Why an allow became mfa: the application's minimum, acr_values, ForceAuthn ... */
  stepUp?: string;
  /** The resolved context, for the audit log and the simulator. */
  facts: Pick<
    LoginFacts,
    | 'address'
    | 'country'
    | 'continent'
    | 'door'
    | 'application'
    | 'trustedAddress'
    | 'newCountry'
    | 'newDevice'
  >;
}

/** The error a door shows for a denied login: the rule's message key is its code. */
export function deniedError(decision: Decision): PassgateError {
  return new PassgateError(
    decision.message ?? 'ACCESS_DENIED',
    { status: 403, publicMessage: 'Access is not allowed. Contact your administrator.' },
    { detail: `denied by rule ${decision.rule}` },
  );
}
