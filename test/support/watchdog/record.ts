import { renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, expect, inject } from 'vitest';

/**
 * Where a test file's fork is, written synchronously to a file the watchdog (./index.ts) reads in
 * vitest's main process: a fork whose main thread is blocked can no longer tell anyone.
 */
export interface ForkRecord {
  pid: number;
  /** The test file, relative to the working directory. */
  file: string;
  /** When the file started in this fork (ms since the epoch). */
  since: number;
  /** Where in the file it is, as far as the fork can tell: the test it is in, or the last one it ran. */
  where: string;
}

// A setup file (vitest.config.ts setupFiles): it runs in the fork before each test file is imported.
const dir = inject('watchdogDir');
const recordFile = dir ? path.join(dir, `${process.pid}.json`) : undefined;
let record: ForkRecord = {
  pid: process.pid,
  file: path.relative(process.cwd(), expect.getState().testPath ?? 'unknown'),
  since: Date.now(),
  where: 'before its first test (importing the file or in a beforeAll hook)',
};

function write(update: Partial<ForkRecord>): void {
  record = { ...record, ...update };
  if (!recordFile) return;
  // Renamed into place: the watchdog never reads half a record.
  writeFileSync(`${recordFile}.tmp`, JSON.stringify(record));
  renameSync(`${recordFile}.tmp`, recordFile);
}

write({});
const testName = (task: { name: string; fullTestName?: string }) => `"${task.fullTestName ?? task.name}"`;
beforeEach((context) =>
  write({ where: `in test ${testName(context.task)} or its beforeEach/afterEach hooks` }),
);
afterEach((context) => write({ where: `after test ${testName(context.task)} (in a hook or between tests)` }));
// Registered first, so it runs after the file's own afterAll hooks.
afterAll(() => write({ where: 'in its teardown (after its afterAll hooks)' }));
