import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Files that must not run beside another file: they share the run's one Samba DC (leases, domain
 * policies, restarts), stop or load a PostgreSQL cluster, or measure time or statement counts that
 * another busy file would disturb. They run one at a time, after the rest.
 */
const ALONE = [
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
 * The longest files, started first so that no long file is left running alone at the end of the
 * parallel group (a fresh clone has no timings of a previous run for vitest to sort by).
 */
const LONGEST_FIRST = [
  'test/store/user-search-100k.test.ts',
  'test/journey/first-hour.test.ts',
  'test/store/contract/signing-keys.contract.test.ts',
  'test/cli/token.test.ts',
  'test/cli/policy-test.test.ts',
  'test/activesync/gateway.test.ts',
];

/** vitest's order (failed, then longest of the last run first), with the known longest files first. */
class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (spec: TestSpecification) => {
      const index = LONGEST_FIRST.findIndex((file) => spec.moduleId.endsWith(file));
      return index === -1 ? LONGEST_FIRST.length : index;
    };
    return sorted
      .map((spec, position) => ({ spec, position }))
      .sort(
        (a, b) =>
          a.spec.project.config.sequence.groupOrder - b.spec.project.config.sequence.groupOrder ||
          rank(a.spec) - rank(b.spec) ||
          a.position - b.position,
      )
      .map(({ spec }) => spec);
  }
}

/**
 * Files the parallel group runs at a time: PASSGATE_TEST_WORKERS, 1 unless set (2 runs two at once
 * on a 2-core machine; see docs/development.md).
 */
const workers = Number.parseInt(process.env.PASSGATE_TEST_WORKERS ?? '1', 10) || 1;

const shared = {
  testTimeout: 60_000,
  hookTimeout: 120_000,
  pool: 'forks',
} as const;

export default defineConfig({
  test: {
    // Started once for both groups (the root project's global set-up; the projects inherit what it provides).
    globalSetup: ['test/support/global-setup.ts'],
    reporters: ['default'],
    sequence: { sequencer: LongestFirstSequencer },
    projects: [
      {
        test: {
          ...shared,
          name: 'parallel',
          include: ['test/**/*.test.ts'],
          exclude: ALONE,
          // Each of these files uses its own databases, ports and folders: they may run side by side.
          maxWorkers: workers,
          // Not 0: vitest would put a one-worker project of group 0 last, after the files that run alone.
          sequence: { groupOrder: 1 },
        },
      },
      {
        test: {
          ...shared,
          name: 'alone',
          include: ALONE,
          maxWorkers: 1,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
