import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type GridDefinition, placeColumns } from '../../src/doors/admin/grid/grid.js';
import { gridView } from '../../src/doors/admin/grid/view.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { loadTranslations } from '../../src/web/i18n.js';
import { createPageRenderer } from '../../src/web/render.js';

interface Person {
  id: string;
  name: string;
  mail: string;
}

const PEOPLE: GridDefinition<Person> = {
  id: 'people',
  columns: [
    {
      id: 'name',
      label: 'admin:audit.columns.username',
      visible: true,
      size: 'm',
      sortable: true,
      text: (p) => p.name,
      link: (p) => `/admin/users/${encodeURIComponent(p.id)}`,
    },
    { id: 'mail', label: 'admin:audit.columns.details', visible: true, size: 'l', text: (p) => p.mail },
    { id: 'id', label: 'admin:audit.columns.id', visible: false, size: 's', text: (p) => p.id },
  ],
};

describe('the grid partial', () => {
  it('links cells that have a link, offers a checkbox per row for a bulk form, and escapes every text', async () => {
    const translations = await loadTranslations(path.join(PACKAGE_ROOT, 'locales'), 'en');
    const render = createPageRenderer(path.join(PACKAGE_ROOT, 'views'), translations, false);
    const grid = gridView({
      grid: PEOPLE,
      path: '/admin/people',
      placed: placeColumns(PEOPLE, [{ id: 'mail', visible: true, size: 'xl' }]),
      rows: [{ id: 'u/1', name: '<script>x</script>', mail: 'a@example.test' }],
      key: (p) => p.id,
      total: 1,
      sort: { column: 'name', direction: 'asc' },
      paging: { page: 1, size: 50 },
      filters: { q: 'a&b' },
      translate: (key) => String(translations.i18n.t(key, { lng: 'en' })),
      selectionForm: 'bulk',
    });
    const req = { url: '/admin/people', headers: {} } as IncomingMessage;
    const html = await render(req, 'admin/partials/grid', {
      grid,
      caption: 'People',
      layout: { csrfToken: 't' },
    });
    expect([...html.matchAll(/data-column="([^"]+)"/g)].map((m) => m[1])).toEqual([
      'mail',
      'name',
      'mail',
      'name',
      'id',
    ]);
    expect(html).toContain('<a href="/admin/users/u%2F1">&lt;script&gt;x&lt;/script&gt;</a>');
    expect(html).not.toContain('<script>x');
    expect(html).toMatch(
      /<input type="checkbox" name="select" value="u\/1" form="bulk" aria-label="Select this row">/,
    );
    expect(html).toContain('href="/admin/people?q=a%26b&amp;sort=name&amp;dir=desc&amp;size=50&amp;page=1"');
    expect([...html.matchAll(/<col class="w-([a-z]+)">/g)].map((m) => m[1])).toEqual(['xs', 'xl', 'm']);
    expect(html).toContain('1 row · page 1 of 1');
  });
});
