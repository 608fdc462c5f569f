import path from 'node:path';
/** Scenario identifiers, in the order they run. */
export const SCENARIO_IDS = [
  'login-cost15',
  'login-cost4',
  'client-credentials',
  'refresh',
  'journey-oidc-password',
  'journey-oidc-otp',
  'journey-saml',
  'journey-sso-hop',
  'smpp-dispatch',
  'totp-verify',
  'policy-decide',
  'ad-sync',
  'ad-login',
  'saml-response',
  'saml-schema',
  'startup',
  'session-lookup',
  'users-grid',
  'monitoring',
  'soak',
  'flood',
  'radius',
  'activesync',
] as const;
export type ScenarioId = (typeof SCENARIO_IDS)[number];

/** The journeys: every HTTP exchange of a sign-in through the hosted pages, as a browser does it. */
export const JOURNEY_IDS = [
  'journey-oidc-password',
  'journey-oidc-otp',
  'journey-saml',
  'client-credentials',
] as const satisfies readonly ScenarioId[];

/** Other identity servers the journeys can be compared with, in the same run (see bench/peers/). */
export const PEER_IDS = ['simplesamlphp', 'lemonldap'] as const;
export type PeerId = (typeof PEER_IDS)[number];

/** Storage backends the bench runs against. */
export const BACKEND_IDS = ['sqlite', 'postgres'] as const;
export type BackendId = (typeof BACKEND_IDS)[number];

/** Everything that can be tuned from the environment (`BENCH_*`). */
export interface BenchSettings {
  seconds: number;
  warmupSeconds: number;
  loginConcurrency: number;
  grantConcurrency: number;
  /** Passcode dispatches in flight (smpp-dispatch). */
  dispatchConcurrency: number;
  /** Users created in AD (one LDIF) and imported by each full sync (ad-sync). */
  adSyncUsers: number;
  /** Rules of the Authentication Policy (policy-decide). */
  policyRules: number;
  /** Full policy decisions (with store reads) in flight (policy-decide). */
  policyConcurrency: number;
  /** TOTP verifications in flight (totp-verify; it also measures one at a time first). */
  totpConcurrency: number;
  /** OIDC sign-ins of the soak scenario (memory under sustained load). */
  soakSignIns: number;
  /** Unauthenticated requests per second of the flood scenario. */
  floodRate: number;
  backends: BackendId[];
  scenarios: ScenarioId[];
  mode: 'production' | 'development';
  /** Before each scenario, wait up to this long for other processes to leave the CPU alone. */
  quietWaitSeconds: number;
  /** Peers installed, started and measured on the same journeys before Passgate. */
  peers: PeerId[];
  /** Run each server child with --cpu-prof and summarize every measured window. */
  profile: boolean;
  /** `server.workers` of the server children; undefined: Passgate's default (one per CPU). */
  workers?: number;
  /**
   * A folder kept between runs: the PostgreSQL cluster lives there, and the monitoring scenario
   * keeps its seeded store there and reuses it (undefined: everything is thrown away).
   */
  storeDir?: string;
  output: string;
}

/** The bench's knobs, documented where they are read. */
export const SETTINGS_HELP = `Flags:
  --journeys                 the journeys only (${JOURNEY_IDS.join(', ')}), SQLite, every peer,
                             logins x4, 20 s each: the issue-14 table in one command (BENCH_* still apply)

Environment variables (all optional):
  BENCH_SECONDS              measured seconds per scenario (default 10)
  BENCH_WARMUP_SECONDS       unmeasured warm-up before each scenario (default 2)
  BENCH_LOGIN_CONCURRENCY    logins in flight (default 8; keep it under 30, the per-address throttle)
  BENCH_GRANT_CONCURRENCY    token grants in flight (default 16)
  BENCH_DISPATCH_CONCURRENCY passcode dispatches in flight, in-process (default 16)
  BENCH_AD_SYNC_USERS        users in AD for the ad-sync scenario (default 10000; ~5 ms each to create)
  BENCH_POLICY_RULES         rules of the Authentication Policy in policy-decide (default 200)
  BENCH_POLICY_CONCURRENCY   full decisions (with their store reads) in flight in policy-decide (default 8)
  BENCH_TOTP_CONCURRENCY     TOTP verifications in flight in totp-verify, each user's own (default 32);
                             the scenario measures one at a time first, then this many
  BENCH_SOAK_SIGNINS         OIDC sign-ins of the soak scenario, on SQLite (default 10000; RSS at the
                             end within 20% of RSS after the first 1000)
  BENCH_FLOOD_RATE           unauthenticated requests per second of the flood scenario (default 200), sent
                             from one address, then from a random address each, while 4 sign-ins run
  BENCH_SAMBA                JSON details of a running Samba AD DC (what \`npx tsx test/support/samba/cli.ts
                             start\` prints; PASSGATE_TEST_SAMBA works too); default: one is started
  BENCH_BACKENDS             comma list of ${BACKEND_IDS.join(', ')} (default both)
  BENCH_SCENARIOS            comma list of ${SCENARIO_IDS.join(', ')} (default all);
                             saml-response signs on one core, as the server does (main thread),
                             with the example SPs of metadata/saml/ (BENCH_SECONDS per profile);
                             saml-schema validates 2,000 real SAML messages in process (µs each);
                             radius compares Access-Requests/s with FreeRADIUS (needs freeradius)
  BENCH_PEERS                comma list of ${PEER_IDS.join(', ')} (default none; all with --journeys):
                             installs them (apt, as root) and starts them from ../shared/peers
                             (BENCH_PEERS_DIR), runs the same journeys against them first, prints ratios
  BENCH_MODE                 server mode: production (default) or development
  BENCH_WORKERS              server.workers of the server (default: Passgate's, one per CPU; 1 = one
                             process); server CPU and RSS are summed over the primary and its workers
  BENCH_QUIET_WAIT_SECONDS   before each scenario, wait up to this long until other processes use
                             under 25% of a core (default 0: measure at once, report their share)
  BENCH_PROFILE=1            run the server with --cpu-prof and print where each window went; with
                             concurrency 1 also the server's main-thread time per login step
  BENCH_STORE_DIR            a folder kept between runs: the monitoring scenario seeds its store there once
                             (SQLite file, PostgreSQL cluster) and reuses it while the count is the same
                             (default none: seeded again on every run)
  BENCH_OUTPUT               JSON results file (default test-output/bench.json)`;

/** Reads and checks the settings; throws with a one-line reason on a bad value. */
export function readSettings(
  env: NodeJS.ProcessEnv = process.env,
  argv: readonly string[] = process.argv,
): BenchSettings {
  if (argv.includes('--journeys'))
    env = {
      BENCH_BACKENDS: 'sqlite',
      BENCH_SCENARIOS: JOURNEY_IDS.join(','),
      BENCH_PEERS: PEER_IDS.join(','),
      BENCH_LOGIN_CONCURRENCY: '4',
      BENCH_SECONDS: '20',
      ...env,
    };
  const number = (name: string, fallback: number, min: number, max: number) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < min || value > max)
      throw new Error(`${name}: expected a number from ${min} to ${max}, got "${raw}"`);
    return value;
  };
  const list = <T extends string>(name: string, allowed: readonly T[], fallback = [...allowed]): T[] => {
    const raw = env[name];
    if (!raw) return fallback;
    const values = raw.split(',').map((v) => v.trim()) as T[];
    const unknown = values.find((v) => !allowed.includes(v));
    if (unknown) throw new Error(`${name}: unknown value "${unknown}" (expected ${allowed.join(', ')})`);
    return allowed.filter((v) => values.includes(v));
  };
  const mode = env.BENCH_MODE || 'production';
  if (mode !== 'production' && mode !== 'development')
    throw new Error(`BENCH_MODE: expected production or development, got "${mode}"`);
  return {
    seconds: number('BENCH_SECONDS', 10, 1, 3600),
    warmupSeconds: number('BENCH_WARMUP_SECONDS', 2, 0, 600),
    loginConcurrency: Math.round(number('BENCH_LOGIN_CONCURRENCY', 8, 1, 29)),
    grantConcurrency: Math.round(number('BENCH_GRANT_CONCURRENCY', 16, 1, 256)),
    dispatchConcurrency: Math.round(number('BENCH_DISPATCH_CONCURRENCY', 16, 1, 100)),
    adSyncUsers: Math.round(number('BENCH_AD_SYNC_USERS', 10_000, 100, 200_000)),
    policyRules: Math.round(number('BENCH_POLICY_RULES', 200, 2, 5000)),
    policyConcurrency: Math.round(number('BENCH_POLICY_CONCURRENCY', 8, 1, 64)),
    totpConcurrency: Math.round(number('BENCH_TOTP_CONCURRENCY', 32, 1, 1000)),
    soakSignIns: Math.round(number('BENCH_SOAK_SIGNINS', 10_000, 20, 1_000_000)),
    floodRate: Math.round(number('BENCH_FLOOD_RATE', 200, 1, 10_000)),
    backends: list('BENCH_BACKENDS', BACKEND_IDS),
    scenarios: list('BENCH_SCENARIOS', SCENARIO_IDS),
    mode,
    peers: list('BENCH_PEERS', PEER_IDS, []),
    quietWaitSeconds: number('BENCH_QUIET_WAIT_SECONDS', 0, 0, 3600),
    profile: env.BENCH_PROFILE === '1' || env.BENCH_PROFILE === 'true',
    ...(env.BENCH_WORKERS ? { workers: Math.round(number('BENCH_WORKERS', 1, 1, 256)) } : {}),
    ...(env.BENCH_STORE_DIR ? { storeDir: path.resolve(env.BENCH_STORE_DIR) } : {}),
    output: env.BENCH_OUTPUT || 'test-output/bench.json',
  };
}
