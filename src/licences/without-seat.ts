import type { WITHOUT_SEAT } from '../config/licences-schema.js';
import type { DecideOptions, LoginContext } from '../policy/authentication/authentication-policy.js';
import type { Decision } from '../policy/authentication/decision.js';
import type { AuditRepository } from '../store/repositories/audit.js';
import type { User } from '../store/repositories/users.js';
import type { Seats } from './seats.js';

/** What a sign-in does for a user without an MFA seat (`licences.withoutSeat`). */
export type WithoutSeat = (typeof WITHOUT_SEAT)[number];

/**
 * Doors whose sign-ins another pool governs: the password-reset site asks for a second factor to
 * prove who resets, and checks the reset seat itself; the pools are allocated independently.
 */
const GOVERNED_BY_OTHER_POOLS = new Set(['reset']);

/** The message key a sign-in refused for want of a seat shows (common:errors.ACCESS_DENIED_NO_SEAT). */
export const NO_SEAT_MESSAGE = 'ACCESS_DENIED_NO_SEAT';

/**
 * Applies `licences.withoutSeat` to the Authentication Policy's decision of a user without an MFA
 * seat, in the one place every door's sign-in passes (AuthenticationPolicy.decide):
 * - `deny` refuses the sign-in, whatever the policy decided;
 * - `password-only` lets the password alone through where the policy asks for a second factor,
 *   but refuses where an application demands one (step-up: its minimum, acr_values, ForceAuthn,
 *   the admin door), since that cannot be met without a seat; a policy's denial stays a denial;
 * - `allow` keeps the policy's decision.
 * Each such sign-in writes a `licence.without-seat` audit event; users holding a seat pass untouched.
 */
export function withoutSeatGate(seats: Pick<Seats, 'holds'>, mode: WithoutSeat, audit: AuditRepository) {
  return async (
    user: User,
    context: LoginContext,
    decision: Decision,
    options: DecideOptions = {},
  ): Promise<Decision> => {
    if (GOVERNED_BY_OTHER_POOLS.has(decision.facts.door) || (await seats.holds(user.id, 'mfa')))
      return decision;
    const result = apply(mode, decision, Boolean(decision.stepUp ?? options.stepUp));
    await audit.record({
      type: 'licence.without-seat',
      outcome: result.action === 'deny' ? 'denied' : 'info',
      ...(result.action === 'deny' ? { reason: result.message ?? 'ACCESS_DENIED' } : {}),
      userId: user.id,
      username: user.username,
      address: context.address,
      details: {
        withoutSeat: mode,
        door: decision.facts.door,
        application: decision.facts.application,
        policyAction: decision.action,
        action: result.action,
      },
    });
    return result;
  };
}

/** The decision under the setting; `demanded`: the application asks for a second factor whatever the rules say. */
function apply(mode: WithoutSeat, decision: Decision, demanded: boolean): Decision {
  const refused: Decision = {
    ...decision,
    action: 'deny',
    rule: 'licence:without-seat',
    message: NO_SEAT_MESSAGE,
  };
  if (decision.action === 'deny' || mode === 'allow') return decision;
  if (mode === 'deny') return refused;
  if (decision.action !== 'mfa') return decision;
  if (demanded) return refused;
  const { methods: _methods, ...rest } = decision;
  return { ...rest, action: 'allow', rule: 'licence:password-only' };
}
