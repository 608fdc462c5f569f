import { readFileSync } from 'node:fs';
import { glob } from 'tinyglobby';
import { describe, expect, it } from 'vitest';
import { ALONE, RUNS_ALONE_WHEN } from '../support/alone.js';

const ROOT = new URL('../../', import.meta.url).pathname;

describe('test files that must run alone', () => {
  it('are all in ALONE (vitest.config.ts runs them one at a time), so running files side by side stays safe', async () => {
    const files = await glob('test/**/*.test.ts', { cwd: ROOT });
    const alone = new Set(await glob(ALONE, { cwd: ROOT }));
    const missing = files.flatMap((file) => {
      const text = readFileSync(`${ROOT}${file}`, 'utf8');
      return RUNS_ALONE_WHEN.filter((rule) => rule.text.test(text)).map((rule) => `${file} (${rule.why})`);
    });
    expect(missing.filter((entry) => !alone.has(entry.slice(0, entry.indexOf(' '))))).toEqual([]);
    // The rules find what they are for: the Samba files at least.
    expect(missing.length).toBeGreaterThanOrEqual(14);
  });

  it('matches every pattern of ALONE to at least one file (no stale entry)', async () => {
    for (const pattern of ALONE) expect(await glob(pattern, { cwd: ROOT }), pattern).not.toEqual([]);
  });
});
