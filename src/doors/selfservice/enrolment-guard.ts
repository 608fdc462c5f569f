import type { MethodOffer } from '../../engine/challenges.js';
import type { User } from '../../store/repositories/users.js';
import { SelfServiceErrors } from './errors.js';
import type { SelfServiceSession } from './session.js';

/** What decides whether a session may add a factor. */
export interface EnrolmentFacts {
  session: Pick<SelfServiceSession, 'mfa' | 'decision'>;
  user: Pick<User, 'createdAt'>;
  /** The second factors the user can answer with now (the engine's offers). */
  factors: readonly MethodOffer[];
  /** `selfservice.firstEnrolmentWindowDays`. */
  windowDays: number;
  now: number;
}

/**
 * Hardened enrolment: a new factor is vouched for by one the user already has (passed in this
 * session's sign-in). Only a user with no factor at all may enrol with the password alone, and
 * only inside the first-enrolment window, and only when the sign-in was one where the policy's
 * built-in default let the password through because the user has no factor — never when a rule
 * or learned trust skipped MFA (an attacker with the password on a trusted network would
 * otherwise enrol their own authenticator). Raises the reason; returns whether it is a first
 * enrolment.
 */
export function checkEnrolment(facts: EnrolmentFacts): { first: boolean } {
  const { session, factors } = facts;
  if (factors.length > 0) {
    if (!session.mfa) throw SelfServiceErrors.ENROL_NEEDS_MFA();
    return { first: false };
  }
  if (session.mfa) return { first: true }; // the factor used at sign-in was removed since
  if (session.decision.action !== 'allow' || session.decision.rule !== 'default') {
    throw SelfServiceErrors.ENROL_SKIPPED_NETWORK({
      detail: `sign-in decided by ${session.decision.rule} (${session.decision.action})`,
    });
  }
  const closesAt = facts.user.createdAt + facts.windowDays * 86_400_000;
  if (facts.now >= closesAt) {
    throw SelfServiceErrors.ENROL_WINDOW_CLOSED({
      detail: `first-enrolment window closed at ${new Date(closesAt).toISOString()}`,
    });
  }
  return { first: true };
}
