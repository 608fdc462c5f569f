import type { RateLimitedRoutes } from '../../config/rate-limit-schema.js';

/** The door's unauthenticated entry points (where a sign-in starts). */
export const SAML_RATE_LIMITED: RateLimitedRoutes[] = [
  { group: 'signInStart', paths: ['/saml/sso', '/saml/idp-init'] },
];

/** The names of the door's prune jobs. */
export const SAML_PRUNE_JOBS = {
  requestIds: 'saml request ids',
  flows: 'saml flows',
  logoutChains: 'saml logout chains',
} as const;
