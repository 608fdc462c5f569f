import { TOKEN_POLICY_KIND, type TokenPolicy } from '../../policy/token-policy.js';
import type { PoliciesRepository } from '../../store/repositories/policies.js';
import type { TokenTypes } from '../../tokens/registry.js';

/** A token profile a user may pick: a Token Policy with `selfEnrol`, or the built-in default. */
export interface EnrolProfile {
  /** The Token Policy's name; `default` for the built-in profile. */
  name: string;
  /** What the user sees; undefined for the built-in profile (the page names it in its language). */
  displayName?: string;
  /** A token type users may enrol (`enrolledBy: 'user'`). */
  type: string;
  /** The type's settings (`policySettings`), as the Token Policy holds them. */
  settings: Readonly<Record<string, unknown>>;
  /** False for the built-in profile: it is no stored Token Policy. */
  stored: boolean;
}

/**
 * The built-in profile: the registry's first type users may enrol, with its default settings
 * (TOTP, SHA-1, 6 digits, 30 s: what every authenticator app reads).
 */
export function defaultProfile(types: TokenTypes): EnrolProfile {
  const type = types.enrollable('user')[0];
  if (!type) throw new Error('no token type users may enrol');
  return {
    name: 'default',
    type: type.info.type,
    settings: type.policySettings?.parse({}) ?? {},
    stored: false,
  };
}

/**
 * The profiles the self-service site offers: the administrator's Token Policies marked
 * `selfEnrol` (never hardware profiles) of a type users may enrol, in their stored order; the
 * built-in default when none is.
 */
export async function enrolProfiles(
  policies: PoliciesRepository,
  types: TokenTypes,
): Promise<EnrolProfile[]> {
  const offered = (await policies.list(TOKEN_POLICY_KIND))
    .map((stored) => ({ name: stored.name, policy: stored.document as TokenPolicy }))
    .filter(
      ({ policy }) => policy.selfEnrol && !policy.hardware && types.get(policy.type)?.enrolledBy === 'user',
    )
    .map(({ name, policy }) => {
      const { displayName, type, selfEnrol: _selfEnrol, hardware: _hardware, ...settings } = policy;
      return { name, displayName, type, settings, stored: true };
    });
  return offered.length > 0 ? offered : [defaultProfile(types)];
}
