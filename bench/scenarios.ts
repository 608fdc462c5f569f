import { activesyncProxy } from './activesync.js';
import { adLogin, adSync } from './ad.js';
import { type InProcessScenario, smppDispatch } from './dispatch.js';
import { flood } from './flood.js';
import { clientCredentials, login, refresh, type Target } from './flows.js';
import { oidcOtpJourney, oidcPasswordJourney, samlJourney } from './journeys/passgate.js';
import { ssoHopJourney } from './journeys/sso.js';
import type { VirtualUser } from './load.js';
import { monitoringPage } from './monitoring-page.js';
import { policyDecide } from './policy.js';
import { radiusAccessRequests } from './radius.js';
import { samlResponse } from './saml.js';
import { samlSchemaValidation } from './saml-schema.js';
import { sessionLookup } from './sessions.js';
import type { ScenarioId } from './settings.js';
import { soak } from './soak.js';
import { startup } from './startup.js';
import { totpVerify } from './totp.js';
import { userGrid } from './user-grid.js';

/** A bench user: one per virtual user, so that concurrent logins never share a throttle counter. */
export interface BenchUser {
  username: string;
  password: string;
}

/** A server start being prepared: its configuration, environment and metadata folder, its bench users. */
export interface ServerSetup {
  configFile: string;
  env: NodeJS.ProcessEnv;
  metadataDir: string;
  users: readonly BenchUser[];
}

/** What one scenario measures and how its virtual users behave. */
export interface Scenario {
  id: ScenarioId;
  title: string;
  /** scrypt cost of the server configuration and of the users' password hashes. */
  scryptCost: number;
  kind: 'login' | 'grant';
  /** Set-up before the server starts (metadata files, users with tokens). */
  beforeStart?(setup: ServerSetup): Promise<void>;
  /** Builds the virtual users (may do unmeasured set-up, such as logging in). */
  prepare(
    target: Target,
    users: readonly BenchUser[],
    count: number,
    setupConcurrency: number,
  ): Promise<VirtualUser[]>;
}

const loginScenario = (id: ScenarioId, scryptCost: number, title: string): Scenario => ({
  id,
  title,
  scryptCost,
  kind: 'login',
  prepare: async (target, users, count) =>
    Array.from({ length: count }, (_, i) => {
      const user = users[i % users.length]!;
      return { op: (steps) => login(target, user.username, user.password, steps).then(() => {}) };
    }),
});

/** Every scenario, in run order. */
export const SCENARIOS: readonly Scenario[] = [
  loginScenario(
    'login-cost15',
    15,
    'complete login, default hash cost (scryptCost 15): authorize, login page, form POST, redirects, token',
  ),
  loginScenario('login-cost4', 4, 'complete login, low hash cost (scryptCost 4): protocol overhead'),
  {
    id: 'client-credentials',
    title: 'client-credentials grant (POST /oidc/token, client_secret_basic)',
    scryptCost: 4,
    kind: 'grant',
    prepare: async (target, _users, count) =>
      Array.from({ length: count }, () => ({ op: () => clientCredentials(target).then(() => {}) })),
  },
  {
    id: 'refresh',
    title: 'refresh grant, rotating refresh token (each user chains refresh -> new refresh token)',
    scryptCost: 4,
    kind: 'grant',
    prepare: async (target, users, count, setupConcurrency) => {
      const virtualUsers: VirtualUser[] = [];
      for (let first = 0; first < count; first += setupConcurrency) {
        const batch = Array.from({ length: Math.min(setupConcurrency, count - first) }, (_, j) =>
          refreshingUser(target, users[(first + j) % users.length]!),
        );
        virtualUsers.push(...(await Promise.all(batch)));
      }
      return virtualUsers;
    },
  },
  oidcPasswordJourney,
  oidcOtpJourney,
  samlJourney,
  ssoHopJourney,
];

/** Scenarios that run inside the bench process (no server child), after the server's ones. */
export const IN_PROCESS_SCENARIOS: readonly InProcessScenario[] = [
  smppDispatch,
  totpVerify,
  policyDecide,
  adSync,
  adLogin,
  samlResponse,
  samlSchemaValidation,
  startup,
  sessionLookup,
  userGrid,
  monitoringPage,
  soak,
  flood,
  radiusAccessRequests,
  activesyncProxy,
];

/** A user that logs in once, then refreshes in a chain; after a failure it logs in again. */
async function refreshingUser(target: Target, user: BenchUser): Promise<VirtualUser> {
  const obtain = async () => (await login(target, user.username, user.password)).refresh_token!;
  let refreshToken = await obtain();
  return {
    op: async () => {
      refreshToken = (await refresh(target, refreshToken)).refresh_token!;
    },
    recover: async () => {
      refreshToken = await obtain();
    },
  };
}
