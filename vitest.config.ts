import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { ALONE } from './test/support/alone.js';

/**
 * The longest files, started first so that no long file is left running alone at the end of the
 * parallel group (a fresh clone has no timings of a previous run for vitest to sort by).
 */
const LONGEST_FIRST = [
  'test/store/user-search-100k.test.ts',
  'test/browser/admin-users.browser.test.ts',
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
  // Tells the watchdog (test/support/watchdog/) where each file's fork is.
  setupFiles: 'test/support/watchdog/record.ts',
} as const;

export default defineConfig({
  test: {
    // Started once for both groups (the root project's global set-up; the projects inherit what it provides).
    // The watchdog kills a file that runs past PASSGATE_TEST_FILE_LIMIT and fails the run naming it.
    globalSetup: ['test/support/watchdog/global-setup.ts', 'test/support/global-setup.ts'],
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
