import { AdminErrors } from '../errors.js';
import type { AdminRoute } from '../page.js';
import { type GridDefinition, moveColumn, readColumnsForm } from './grid.js';

/** The query kept across the columns form (filters, sort, page): plain `a=b&c=d`, never a URL. */
function returnQuery(value: unknown): string {
  if (typeof value !== 'string' || value.length > 2_000) return '';
  return new URLSearchParams(value).toString();
}

/**
 * The routes of a grid's "columns" form, under the grid's page (`<path>/columns` and
 * `<path>/columns/reset`): save the administrator's choice (which columns, their order, their
 * width; the ↑/↓ buttons move one column), or forget it. Both change only the administrator's own
 * view (`preferences.write`), are audited, and go back to the grid with its filters.
 */
export function columnRoutes<Row>(grid: GridDefinition<Row>, path: string): AdminRoute[] {
  return [
    {
      method: 'post',
      path: `${path}/columns`,
      permission: 'preferences.write',
      async handle({ req, res, admin, site }) {
        const body = req.body as Record<string, unknown>;
        const current = await site.grids.columns(admin.user.id, grid);
        let chosen = readColumnsForm(grid, current, body);
        if (!chosen) throw AdminErrors.ADMIN_BAD_INPUT({ detail: `columns form of ${grid.id}` });
        const move = typeof body.move === 'string' ? /^(up|down):(.+)$/.exec(body.move) : null;
        if (move) {
          const placed = chosen.map((c) => ({ column: grid.columns.find((g) => g.id === c.id)!, ...c }));
          chosen = moveColumn(placed, move[2]!, move[1] as 'up' | 'down');
        }
        const before = await site.grids.save(admin.user.id, grid, chosen);
        await site.auditChange(
          admin,
          'admin.grid.columns',
          { grid: grid.id, columns: before },
          { grid: grid.id, columns: chosen },
          req.ip,
        );
        const query = returnQuery(body.return);
        res.redirect(303, `${path}${query ? `?${query}` : ''}#${grid.id}-columns`);
      },
    },
    {
      method: 'post',
      path: `${path}/columns/reset`,
      permission: 'preferences.write',
      async handle({ req, res, admin, site }) {
        const before = await site.grids.reset(admin.user.id, grid);
        if (before)
          await site.auditChange(
            admin,
            'admin.grid.reset',
            { grid: grid.id, columns: before },
            { grid: grid.id, columns: null },
            req.ip,
          );
        const query = returnQuery((req.body as Record<string, unknown>).return);
        res.redirect(303, `${path}${query ? `?${query}` : ''}`);
      },
    },
  ];
}
