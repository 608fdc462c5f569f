import { readdirSync, readFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DispatchErrors } from '../../src/dispatch/errors.js';
import { defineErrors, type ErrorCatalogue, PassgateError } from '../../src/errors.js';
import { PolicyErrors } from '../../src/policy/errors.js';
import { parseLoadBalancingPolicy } from '../../src/policy/load-balancing-store.js';

const SRC = join(import.meta.dirname, '../../src');

/** Every source file under src/, relative to it. */
function sourceFiles(dir = SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [relative(SRC, path)] : [];
  });
}

/** Files that declare a catalogue with defineErrors (src/errors.ts only defines the helper). */
const declaring = sourceFiles().filter(
  (file) => file !== 'errors.ts' && /\bdefineErrors\s*\(/.test(readFileSync(join(SRC, file), 'utf8')),
);

function isCatalogue(value: unknown): value is ErrorCatalogue<string> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { is?: unknown }).is === 'function' &&
    Array.isArray((value as { codes?: unknown }).codes)
  );
}

describe('error catalogues', () => {
  it('are declared only in the errors.ts of their module', () => {
    expect(declaring.length).toBeGreaterThan(10);
    expect(declaring.filter((file) => basename(file) !== 'errors.ts')).toEqual([]);
  });

  it('never share a code, so a code names one error wherever it is seen', async () => {
    const owners = new Map<string, string[]>();
    let catalogues = 0;
    for (const file of declaring) {
      const module: Record<string, unknown> = await import(pathToFileURL(join(SRC, file)).href);
      for (const [name, value] of Object.entries(module)) {
        if (!isCatalogue(value)) continue;
        catalogues += 1;
        for (const code of value.codes) owners.set(code, [...(owners.get(code) ?? []), `${file}:${name}`]);
      }
    }
    expect(catalogues).toBeGreaterThanOrEqual(declaring.length);
    const clashes = [...owners].filter(([, where]) => where.length > 1);
    expect(clashes).toEqual([]);
  });

  it('recognise only their own errors, even when another catalogue uses the same code', () => {
    const first = defineErrors({ SAME: { status: 400, publicMessage: 'first' } });
    const second = defineErrors({ SAME: { status: 400, publicMessage: 'second' } });
    expect(first.is(first.SAME())).toBe(true);
    expect(first.is(first.SAME(), 'SAME')).toBe(true);
    expect(first.is(second.SAME())).toBe(false);
    expect(first.is(second.SAME(), 'SAME')).toBe(false);
    // An error built by hand (a policy's deny message) belongs to no catalogue.
    expect(first.is(new PassgateError('SAME', { status: 403, publicMessage: 'x' }))).toBe(false);
    expect(first.is(new Error('SAME'))).toBe(false);
  });

  it('keep a policy error from being taken for a delivery failure', () => {
    let thrown: unknown;
    try {
      parseLoadBalancingPolicy('p', { channels: ['sms'], members: [] });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ code: 'POLICY_INVALID', status: 400 });
    expect(PolicyErrors.is(thrown, 'POLICY_INVALID')).toBe(true);
    expect(DispatchErrors.is(thrown)).toBe(false);
  });
});
