import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ADMIN_ROLES } from '../../src/config/admin-schema.js';
import { PERMISSIONS, ROLE_PERMISSIONS } from '../../src/doors/admin/permissions.js';
import { PACKAGE_ROOT } from '../../src/paths.js';

/** The role table of docs/admin.md as ROLE_PERMISSIONS gives it: header, then one row per permission. */
function permissionTable(): string[][] {
  return [
    ['Permission', ...ADMIN_ROLES],
    ...PERMISSIONS.map((p) => [
      `\`${p}\``,
      ...ADMIN_ROLES.map((r) => (ROLE_PERMISSIONS[r].has(p) ? 'yes' : 'no')),
    ]),
  ];
}

/** The cells of a Markdown table (however it is padded), without its separator line. */
function cells(table: string): string[][] {
  return table
    .split('\n')
    .filter((line) => !/^\|[\s|:-]+\|$/.test(line))
    .map((line) =>
      line
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim()),
    );
}

describe('docs/admin.md', () => {
  it('shows what each role may do exactly as the permission table says', () => {
    const doc = readFileSync(path.join(PACKAGE_ROOT, 'docs', 'admin.md'), 'utf8');
    const table = /<!-- permissions:start -->\n([\s\S]*?)\n<!-- permissions:end -->/.exec(doc)?.[1];
    expect(cells(table ?? '')).toEqual(permissionTable());
  });
});
