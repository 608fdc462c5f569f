import { TOKEN_POLICY_KIND, type TokenPolicy } from '../../policy/token-policy.js';
import type { PoliciesRepository } from '../../store/repositories/policies.js';

/** A token profile a user may pick: a Token Policy with `selfEnrol`, or the built-in default. */
export interface EnrolProfile {
  /** The Token Policy's name; `default` for the built-in profile. */
  name: string;
  /** What the user sees; undefined for the built-in profile (the page names it in its language). */
  displayName?: string;
  type: 'totp' | 'hotp';
  algorithm: TokenPolicy['algorithm'];
  digits: number;
  period: number;
  /** False for the built-in profile: it is no stored Token Policy. */
  stored: boolean;
}

/** TOTP, SHA-1, 6 digits, 30 s: what every authenticator app reads. */
export const DEFAULT_PROFILE: EnrolProfile = {
  name: 'default',
  type: 'totp',
  algorithm: 'SHA1',
  digits: 6,
  period: 30,
  stored: false,
};

/**
 * The profiles the self-service site offers: the administrator's Token Policies marked
 * `selfEnrol` (never hardware profiles), in their stored order; the built-in default when none is.
 */
export async function enrolProfiles(policies: PoliciesRepository): Promise<EnrolProfile[]> {
  const offered = (await policies.list(TOKEN_POLICY_KIND))
    .map((stored) => ({ name: stored.name, policy: stored.document as TokenPolicy }))
    .filter(({ policy }) => policy.selfEnrol && !policy.hardware)
    .map(({ name, policy }) => ({
      name,
      displayName: policy.displayName,
      type: policy.type,
      algorithm: policy.algorithm,
      digits: policy.digits,
      period: policy.period,
      stored: true,
    }));
  return offered.length > 0 ? offered : [DEFAULT_PROFILE];
}
