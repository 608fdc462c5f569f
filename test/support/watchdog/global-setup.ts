import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { describeHung, fileLimitMs, watchTestFiles } from './index.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The folder each test file's fork writes where it is to (./record.ts), for the watchdog. */
    watchdogDir: string;
  }
}

/**
 * Starts the watchdog for the run (./index.ts) and, at the end, fails the run naming every test
 * file it had to kill.
 */
export default function setup(project: TestProject): () => Promise<void> {
  const limitMs = fileLimitMs();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'passgate-watchdog-'));
  project.provide('watchdogDir', dir);
  const stop = watchTestFiles({ dir, limitMs, log: (text) => process.stderr.write(text) });
  return async () => {
    const hung = await stop();
    rmSync(dir, { recursive: true, force: true });
    if (hung.length > 0) {
      throw new Error(
        `[watchdog] ${hung.length} test file(s) hung and were killed:\n${hung.map((found) => `  - ${describeHung(found)}`).join('\n')}`,
      );
    }
  };
}
