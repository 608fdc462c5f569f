import { spawn } from 'node:child_process';
import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { DEFAULT_FILE_LIMIT_SECONDS, fileLimitMs } from '../support/watchdog/index.js';

const FIXTURE_CONFIG = 'test/ci/watchdog-fixture/vitest.config.ts';
const VITEST = 'node_modules/vitest/vitest.mjs';

/** Runs vitest on the fixture files with a file limit of a few seconds; kills its whole process group if it never ends. */
function runFixtures(limitSeconds: number): Promise<{ code: number | null; output: string }> {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('VITEST')) env[key] = value;
  const child = spawn(process.execPath, [VITEST, 'run', '--config', FIXTURE_CONFIG], {
    cwd: PACKAGE_ROOT,
    env: { ...env, NO_COLOR: '1', PASSGATE_TEST_FILE_LIMIT: String(limitSeconds) },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr.on('data', (chunk) => {
    output += chunk;
  });
  const giveUp = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 150_000);
  return new Promise((resolve) => {
    child.on('close', (code) => {
      clearTimeout(giveUp);
      resolve({ code, output });
    });
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('the hung-test watchdog (test/support/watchdog/)', () => {
  it('kills a test file blocked in a synchronous wait and fails the run naming the file and its test', async () => {
    const run = await runFixtures(5);
    const output = stripVTControlCharacters(run.output);

    expect(run.code, output).toBe(1);
    const killed = output.match(
      /\[watchdog\] test\/ci\/watchdog-fixture\/hangs\.fixture\.ts ran \d+ s, over the limit \(PASSGATE_TEST_FILE_LIMIT\), and was stopped in test "a blocked main thread > waits forever in Atomics\.wait".*: killing its fork \(pid (\d+)\)/,
    );
    expect(killed, output).not.toBeNull();
    expect(isAlive(Number(killed![1]))).toBe(false);
    expect(output).toContain(`[watchdog] native stacks of pid ${killed![1]}:`);
    // The run's failure, last, names it again; the file beside it passed.
    expect(output).toMatch(
      /\[watchdog\] 1 test file\(s\) hung and were killed:\n {2}- test\/ci\/watchdog-fixture\/hangs\.fixture\.ts ran/,
    );
    expect(output).toMatch(/✓ test\/ci\/watchdog-fixture\/passes\.fixture\.ts \(1 test\)/);
    expect(output).not.toMatch(/passes\.fixture\.ts ran \d+ s/);
  }, 180_000);

  it('reads its limit from PASSGATE_TEST_FILE_LIMIT in seconds, and refuses a limit that is not one', () => {
    expect(fileLimitMs({})).toBe(DEFAULT_FILE_LIMIT_SECONDS * 1000);
    expect(fileLimitMs({ PASSGATE_TEST_FILE_LIMIT: '90' })).toBe(90_000);
    expect(() => fileLimitMs({ PASSGATE_TEST_FILE_LIMIT: '10m' })).toThrow(
      'PASSGATE_TEST_FILE_LIMIT must be a number of seconds above 0, not "10m"',
    );
    expect(() => fileLimitMs({ PASSGATE_TEST_FILE_LIMIT: '0' })).toThrow(
      'must be a number of seconds above 0',
    );
  });
});
