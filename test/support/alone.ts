/**
 * Files that must not run beside another file: they share the run's one Samba DC (leases, domain
 * policies, restarts), stop or load a PostgreSQL cluster, or measure time or statement counts that
 * another busy file would disturb. They run one at a time, after the rest.
 */
export const ALONE = [
  // The shared Samba AD DC (test/support/samba/): domain-wide policies, stop/restart, users.
  'test/ad/**/*.test.ts',
  'test/activesync/shield.test.ts',
  'test/browser/reset.browser.test.ts',
  'test/radius/radius-ad.test.ts',
  'test/reset/reminders.test.ts',
  'test/reset/reset-ad.test.ts',
  'test/saml/ad-sso.test.ts',
  'test/sso/ad-disabled-logout.test.ts',
  // PostgreSQL clusters stopped and restarted under load.
  'test/server/database-outage.test.ts',
  'test/server/readiness.test.ts',
  // Intervals, latencies and statement counts measured in wall time or per sign-in.
  'test/server/workers.test.ts',
  'test/dispatch/failover.test.ts',
  'test/monitoring/world-map.test.ts',
  'test/store/migrations.test.ts',
  'test/*/sign-in-statements.test.ts',
  // Sends SIGTERM 30 ms after a sign-in's request, which must be in flight by then.
  'test/cli/cli.test.ts',
];

/**
 * What in a test file's text makes it one that runs alone: test/lint/alone-files.test.ts checks
 * that every file saying one of these is matched by {@link ALONE}.
 */
export const RUNS_ALONE_WHEN: Array<{ why: string; text: RegExp }> = [
  { why: "uses the run's one Samba DC", text: /inject\('samba'\)/ },
  { why: 'stops or restarts a PostgreSQL cluster', text: /\b(stopCluster|restartCluster)\(/ },
  { why: 'counts the statements of a sign-in', text: /from '..\/support\/statements.js'/ },
];
