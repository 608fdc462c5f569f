import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/** The run test/ci/watchdog.test.ts starts: the watchdog of the suite, over one file that hangs and one that passes. */
export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../../../', import.meta.url)),
    include: ['test/ci/watchdog-fixture/*.fixture.ts'],
    globalSetup: ['test/support/watchdog/global-setup.ts'],
    setupFiles: ['test/support/watchdog/record.ts'],
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default'],
  },
});
