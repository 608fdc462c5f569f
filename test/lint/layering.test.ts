import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.js';

const run = promisify(execFile);
const depcruise = path.join(PACKAGE_ROOT, 'node_modules', '.bin', 'depcruise');
const CONFIG = path.join(PACKAGE_ROOT, '.dependency-cruiser.cjs');
const trees: string[] = [];

/** Runs the layering check as `npm run lint` does, in `cwd`; returns its exit code and report. */
async function checkLayers(cwd: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout } = await run(depcruise, ['src', '--config', CONFIG, '--output-type', 'err'], { cwd });
    return { code: 0, output: stdout };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, output: `${failed.stdout}${failed.stderr}` };
  }
}

/** A throw-away source tree: `files` maps a path under the tree to its content. */
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(tmpdir(), 'passgate-layering-'));
  trees.push(root);
  writeFileSync(
    path.join(root, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext' },
      include: ['src'],
    }),
  );
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), content);
  }
  return root;
}

afterAll(() => {
  for (const root of trees) rmSync(root, { recursive: true, force: true });
});

describe('the layering check (npm run lint)', () => {
  it('passes on the source tree as it is', async () => {
    const { code, output } = await checkLayers(PACKAGE_ROOT);
    expect(output).toContain('no dependency violations found');
    expect(code).toBe(0);
  }, 60_000);

  it('fails on a new back-edge, naming the rule it breaks', async () => {
    const root = tree({
      'src/engine/throttle.ts': 'export interface Limit { max: number }\n',
      'src/store/counters.ts':
        "import type { Limit } from '../engine/throttle.js';\nexport const limit: Limit = { max: 1 };\n",
    });
    const { code, output } = await checkLayers(root);
    expect(code).not.toBe(0);
    expect(output).toContain('layer-store');
    expect(output).toContain('src/store/counters.ts → src/engine/throttle.ts');
  }, 60_000);

  it('fails when config/ or dispatch/ reaches up into policy/ (no exception is left for them)', async () => {
    const root = tree({
      'src/policy/token-policy.ts': 'export const tokenPolicySchema = {};\n',
      'src/policy/kinds.ts': 'export const LOAD_BALANCING_KIND = 1;\n',
      'src/config/schema.ts':
        "import { tokenPolicySchema } from '../policy/token-policy.js';\nexport const schema = tokenPolicySchema;\n",
      'src/dispatch/choose-policy.ts':
        "import { LOAD_BALANCING_KIND } from '../policy/kinds.js';\nexport const kind = LOAD_BALANCING_KIND;\n",
    });
    const { code, output } = await checkLayers(root);
    expect(code).not.toBe(0);
    expect(output).toContain('layer-config');
    expect(output).toContain('src/config/schema.ts → src/policy/token-policy.ts');
    expect(output).toContain('layer-dispatch');
    expect(output).toContain('src/dispatch/choose-policy.ts → src/policy/kinds.ts');
  }, 60_000);

  it('fails on a circular import inside one folder, type-only imports included', async () => {
    const root = tree({
      'src/engine/limits.ts':
        "import type { Counter } from './counter.js';\nexport interface Limit { counter?: Counter }\n",
      'src/engine/counter.ts':
        "import type { Limit } from './limits.js';\nexport interface Counter { limit?: Limit }\n",
    });
    const { code, output } = await checkLayers(root);
    expect(code).not.toBe(0);
    expect(output).toContain('no-circular');
    expect(output).toMatch(/src\/engine\/(limits|counter)\.ts/);
    expect(output).not.toContain('layer-engine');
  }, 60_000);

  it('fails when one door imports another', async () => {
    const root = tree({
      'src/doors/oidc/provider.ts': 'export const oidc = 1;\n',
      'src/doors/selfservice/create.ts':
        "import { oidc } from '../oidc/provider.js';\nexport const door = oidc;\n",
    });
    const { code, output } = await checkLayers(root);
    expect(code).not.toBe(0);
    expect(output).toContain('doors-are-independent');
  }, 60_000);

  it('takes a new folder under src/doors/ for a door, with no edit of the rule file', async () => {
    const root = tree({
      'src/doors/door.ts': 'export interface Door { name: string }\n',
      'src/doors/oidc/door.ts': 'export const oidc = 1;\n',
      'src/server/core.ts': 'export const core = 1;\n',
      'src/doors/radius/door.ts':
        "import type { Door } from '../door.js';\nimport { oidc } from '../oidc/door.js';\n" +
        "import { core } from '../../server/core.js';\nexport const door: Door = { name: String(oidc + core) };\n",
    });
    const { code, output } = await checkLayers(root);
    expect(code).not.toBe(0);
    expect(output).toContain('doors-are-independent: src/doors/radius/door.ts → src/doors/oidc/door.ts');
    expect(output).toContain('layer-doors: src/doors/radius/door.ts → src/server/core.ts');
    expect(output).not.toContain('src/doors/radius/door.ts → src/doors/door.ts');
  }, 60_000);

  it('allows an import down the layers', async () => {
    const root = tree({
      'src/store/counters.ts': 'export const limit = 1;\n',
      'src/engine/throttle.ts': "import { limit } from '../store/counters.js';\nexport const max = limit;\n",
    });
    const { code, output } = await checkLayers(root);
    expect(output).toContain('no dependency violations found');
    expect(code).toBe(0);
  }, 60_000);
});
