import { readdirSync } from 'node:fs';
import type { RateLimitedRoutes } from '../../config/rate-limit-schema.js';
import type { LoginFlowsRepository } from '../../store/repositories/login-flows.js';
import type { SamlRequestIdsRepository } from '../../store/repositories/saml-request-ids.js';
import type { PruneJob } from '../door.js';

/** The door's name for the policy's `doors` condition, and of its flows in the login flows' table. */
export const SAML_DOOR = 'saml';

/** The door of a single logout's chain of SPs in the login flows' table (a chain is no sign-in). */
export const LOGOUT_CHAIN_DOOR = 'saml-logout';

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

/**
 * The door's prune jobs: what it keeps expires with the request it answers
 * (saml.requestLifetimeSeconds) and is kept for replay checks until then. They need the store
 * only, so that a door not loaded yet (deferred.ts) is not loaded to run them.
 */
export function samlPruneJobs(store: {
  samlRequestIds: Pick<SamlRequestIdsRepository, 'prune'>;
  loginFlows: Pick<LoginFlowsRepository, 'prune'>;
}): PruneJob[] {
  return [
    { name: SAML_PRUNE_JOBS.requestIds, retentionMs: 0, prune: (now) => store.samlRequestIds.prune(now) },
    { name: SAML_PRUNE_JOBS.flows, retentionMs: 0, prune: (now) => store.loginFlows.prune(SAML_DOOR, now) },
    {
      name: SAML_PRUNE_JOBS.logoutChains,
      retentionMs: 0,
      prune: (now) => store.loginFlows.prune(LOGOUT_CHAIN_DOOR, now),
    },
  ];
}

/**
 * Whether `folder` (metadata/saml/) holds any SP file (NAME.xml, NAME.yaml): a server without
 * one has no SP to answer, and leaves the door unloaded until a `/saml/` request or a reload.
 */
export function holdsSpFiles(folder: string): boolean {
  try {
    return readdirSync(folder).some((name) => /\.(xml|ya?ml)$/i.test(name));
  } catch (error) {
    if (
      (error as NodeJS.ErrnoException).code === 'ENOENT' ||
      (error as NodeJS.ErrnoException).code === 'ENOTDIR'
    )
      return false;
    throw error;
  }
}
