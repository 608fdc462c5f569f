import { setTimeout as sleep } from 'node:timers/promises';
import type { AttemptResult } from '../../attempts/results.js';
import type { AttemptRecorder } from '../../attempts/writer.js';
import type { ResetSite } from '../../config/reset-schema.js';
import type { Directory } from '../../directory/directory.js';
import type { Challenges } from '../../engine/challenges.js';
import type { Throttle, ThrottleRule } from '../../engine/throttle.js';
import { throttleKeys } from '../../engine/throttle-keys.js';
import type { Seats } from '../../licences/seats.js';
import type { AuthenticationPolicy } from '../../policy/authentication/authentication-policy.js';
import type { Decision } from '../../policy/authentication/decision.js';
import type { AuditRepository } from '../../store/repositories/audit.js';
import { normalizeUsername, type User } from '../../store/repositories/users.js';
import { RESET_DOOR, RESET_STEP_UP } from './journey.js';

/** What the user-name step needs. */
export interface IdentifyDeps {
  directory: Pick<Directory, 'find'>;
  seats: Pick<Seats, 'holds'>;
  policy: Pick<AuthenticationPolicy, 'decide'>;
  challenges: Pick<Challenges, 'offersFor'>;
  throttle: Pick<Throttle, 'reserve'>;
  audit: AuditRepository;
  /** The one writer of sign-in attempts: a journey stopped here is one (door `reset`). */
  attempts: AttemptRecorder;
  limits: { perUser: ThrottleRule; perAddress: ThrottleRule; neutralMinMs: number };
  now: () => number;
}

/** Why a user name does not lead to a verification (the audit's reason; users see one neutral page). */
export type NeutralReason = 'UNKNOWN_USER' | 'DISABLED' | 'NO_RESET_SEAT' | 'DENIED' | 'NO_FACTOR';

/** What the user-name step leads to. */
export type Identified =
  | { kind: 'verify'; user: User }
  | { kind: 'neutral'; reason: NeutralReason; decision?: Decision }
  | { kind: 'throttled'; retryAfterSeconds: number };

/** The attempt each neutral answer is recorded as (what monitoring shows; the user sees one page). */
const NEUTRAL_ATTEMPTS: Readonly<Record<NeutralReason, { result: AttemptResult; reason: string }>> = {
  UNKNOWN_USER: { result: 'unknown_user', reason: 'UNKNOWN_USER' },
  DISABLED: { result: 'disabled', reason: 'ACCOUNT_DISABLED' },
  NO_RESET_SEAT: { result: 'denied', reason: 'NO_RESET_SEAT' },
  DENIED: { result: 'denied', reason: 'ACCESS_DENIED' },
  NO_FACTOR: { result: 'no_method', reason: 'MFA_NO_FACTOR' },
};

/**
 * The user-name step of a journey: a user who exists, holds a reset seat and has a second factor
 * the Authentication Policy accepts (door `reset`, never the password alone) goes on to verify it;
 * anyone else gets the same neutral answer, no sooner than `neutralMinMs` after the request
 * began whatever the case, so that neither the page nor its timing tells which. The audit keeps
 * the truth.
 */
export async function identify(
  deps: IdentifyDeps,
  site: ResetSite,
  username: string,
  context: { address: string; applicationName: string },
): Promise<Identified> {
  const began = deps.now();
  const name = normalizeUsername(username);
  const reservation = await deps.throttle.reserve([
    { key: throttleKeys.resetUser(name), rule: deps.limits.perUser },
    { key: throttleKeys.resetAddress(context.address), rule: deps.limits.perAddress },
  ]);
  const event = {
    type: 'reset.identify',
    username: name,
    address: context.address,
    details: { door: RESET_DOOR, site: site.name, directory: site.directory },
  };
  const origin = { address: context.address, door: RESET_DOOR, application: site.name };
  if (!reservation.allowed) {
    deps.attempts.record({ origin, user: { name }, result: 'throttled', reason: 'THROTTLED' });
    await deps.audit.record({ ...event, outcome: 'denied', reason: 'THROTTLED' });
    return { kind: 'throttled', retryAfterSeconds: reservation.retryAfterSeconds };
  }
  const user = await deps.directory.find(name);
  const outcome: Identified = user
    ? await check(deps, site, user, context)
    : { kind: 'neutral', reason: 'UNKNOWN_USER' };
  if (outcome.kind === 'neutral') {
    const { decision } = outcome;
    deps.attempts.record({
      origin,
      user: user ? { id: user.id, name: user.username } : { name },
      ...NEUTRAL_ATTEMPTS[outcome.reason],
      ...(decision
        ? { decision: { rule: decision.rule, action: decision.action, facts: decision.facts } }
        : {}),
    });
  }
  await deps.audit.record({
    ...event,
    ...(user ? { userId: user.id } : {}),
    outcome: outcome.kind === 'verify' ? 'success' : 'denied',
    ...(outcome.kind === 'neutral' ? { reason: outcome.reason } : {}),
  });
  const wait = began + deps.limits.neutralMinMs - deps.now();
  if (wait > 0) await sleep(wait);
  return outcome;
}

async function check(
  deps: IdentifyDeps,
  site: ResetSite,
  user: User,
  context: { address: string; applicationName: string },
): Promise<Identified> {
  if (user.disabled || user.removedAt !== null) return { kind: 'neutral', reason: 'DISABLED' };
  if (!(await deps.seats.holds(user.id, 'reset'))) return { kind: 'neutral', reason: 'NO_RESET_SEAT' };
  const decision = await deps.policy.decide(
    user,
    {
      address: context.address,
      door: RESET_DOOR,
      application: site.name,
      applicationName: context.applicationName,
    },
    { stepUp: RESET_STEP_UP },
  );
  // Anything but a second factor (a denial; the password alone, which a licence rule may allow) goes no further.
  if (decision.action !== 'mfa') return { kind: 'neutral', reason: 'DENIED', decision };
  const factors = await deps.challenges.offersFor(user, decision.methods, { preview: true });
  return factors.length > 0 ? { kind: 'verify', user } : { kind: 'neutral', reason: 'NO_FACTOR', decision };
}
