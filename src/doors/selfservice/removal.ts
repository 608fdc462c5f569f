import type { MethodOffer } from '../../engine/challenges.js';
import type { Token } from '../../store/repositories/tokens.js';
import { SelfServiceErrors } from './errors.js';
import type { SelfServiceSession } from './session.js';

/** What decides whether a session may remove one of the user's tokens. */
export interface RemovalFacts {
  token: Pick<Token, 'id' | 'status'>;
  session: Pick<SelfServiceSession, 'mfa'>;
  /** The second factors the user can answer with now (the engine's offers). */
  factors: readonly MethodOffer[];
  /** `policies.requireMfa`: a user must keep a factor. */
  requireMfa: boolean;
}

/**
 * Removing a factor weakens the account, so it needs the same proof as adding one: a sign-in
 * with a second factor (an unfinished, pending token goes freely). When MFA is mandatory, the
 * last usable factor stays.
 */
export function checkRemoval(facts: RemovalFacts): void {
  const { token, factors } = facts;
  if (token.status === 'pending') return;
  if (factors.length > 0 && !facts.session.mfa) throw SelfServiceErrors.REMOVE_NEEDS_MFA();
  const remaining = factors.filter((offer) => offer.tokenId !== token.id);
  if (facts.requireMfa && remaining.length === 0) {
    throw SelfServiceErrors.LAST_FACTOR({ detail: `token ${token.id} is the last usable factor` });
  }
}
