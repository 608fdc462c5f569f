import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { anchorsOf, brokenLinks, headingAnchor, missingPaths } from './markdown-links.js';

const run = promisify(execFile);
const README = path.join(PACKAGE_ROOT, 'README.md');
const DOCS = path.join(PACKAGE_ROOT, 'docs');
const pages = readdirSync(DOCS)
  .filter((name) => name.endsWith('.md'))
  .map((name) => path.join(DOCS, name));
const tsx = path.join(PACKAGE_ROOT, 'node_modules', '.bin', 'tsx');

describe('the documentation', () => {
  it('keeps the README short: what Passgate is, the two commands, the demo and a map of docs/', () => {
    const readme = readFileSync(README, 'utf8');
    expect(readme.split('\n').length).toBeLessThanOrEqual(250);
    expect(readme).toContain('npm ci && npm start');
    expect(readme).toContain('npm test');
    expect(readme).toContain('npm run demo');
  });

  it('maps every page of docs/ from the README', () => {
    const readme = readFileSync(README, 'utf8');
    const unlinked = pages
      .map((page) => path.basename(page))
      .filter((name) => !readme.includes(`(docs/${name}`));
    expect(unlinked).toEqual([]);
  });

  it.each([README, ...pages].map((file) => [path.relative(PACKAGE_ROOT, file), file]))(
    'has no relative link in %s that leads nowhere',
    (_name, file) => {
      expect(brokenLinks(file)).toEqual([]);
    },
  );

  it.each([README, ...pages].map((file) => [path.relative(PACKAGE_ROOT, file), file]))(
    'names only files and folders of the repository that exist in %s',
    (_name, file) => {
      expect(missingPaths(file, PACKAGE_ROOT)).toEqual([]);
    },
  );

  it('reports a named path that does not exist, and skips placeholders', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'passgate-docs-'));
    const page = path.join(dir, 'page.md');
    writeFileSync(
      page,
      '`test/docs/docs.test.ts` `metadata/saml/NAME.yaml` `locales/<lang>/login.json`\n`src/tokens/gone.ts`\n',
    );
    expect(missingPaths(page, PACKAGE_ROOT)).toEqual([{ line: 2, path: 'src/tokens/gone.ts' }]);
  });

  it('reports a link to a missing file, and one to a missing heading, with the line', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'passgate-docs-'));
    writeFileSync(
      path.join(dir, 'other.md'),
      '# Other\n\n## `token add`\n\n## Token, Passcode and Load Balancing Policies\n',
    );
    const page = path.join(dir, 'page.md');
    writeFileSync(
      page,
      [
        '# Page',
        '[fine](other.md#token-add) [fine too](other.md#token-passcode-and-load-balancing-policies) [self](#page)',
        '[gone](missing.md) `[in code](nowhere.md)` [web](https://example.com/x.md)',
        '```',
        '[in a fence](nowhere.md)',
        '```',
        '[no heading](other.md#tokens-add)',
      ].join('\n'),
    );
    expect(brokenLinks(page)).toEqual([
      { file: page, line: 3, target: 'missing.md', reason: 'no such file' },
      {
        file: page,
        line: 7,
        target: 'other.md#tokens-add',
        reason: 'no heading or anchor "#tokens-add" in other.md',
      },
    ]);
  });

  it('names headings as GitHub does, duplicates numbered', () => {
    expect(headingAnchor('`dispatch.gateways` entries of `type: smpp`')).toBe(
      'dispatchgateways-entries-of-type-smpp',
    );
    expect([...anchorsOf('# A\n## Step-up\n## Step-up\n<a id="x"></a>\n')]).toEqual([
      'a',
      'step-up',
      'step-up-1',
      'x',
    ]);
  });

  it.each([
    ['docs/configuration.md', 'scripts/config-docs.ts'],
    ['docs/cli.md', 'scripts/cli-docs.ts'],
  ])('keeps the generated %s current (%s --check)', async (_page, script) => {
    await expect(run(tsx, [script, '--check'], { cwd: PACKAGE_ROOT })).resolves.toBeDefined();
  });
});
