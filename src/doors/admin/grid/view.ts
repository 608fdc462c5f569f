import type { ColumnSize, GridDefinition, PlacedColumn } from './grid.js';

/** Page sizes a grid offers (`?size=`). */
export const PAGE_SIZES = [25, 50, 100] as const;

/** A sort order read from the query: a sortable column and a direction. */
export interface GridSort {
  column: string;
  direction: 'asc' | 'desc';
}

/** The page read from the query (1-based) and its size. */
export interface GridPaging {
  page: number;
  size: number;
}

/** `?sort=` and `?dir=` when they name a sortable column of the grid, else the default. */
export function readSort<Row>(
  grid: GridDefinition<Row>,
  query: Record<string, unknown>,
  fallback: GridSort,
): GridSort {
  const column = grid.columns.find((c) => c.sortable && c.id === query.sort);
  if (!column) return fallback;
  return { column: column.id, direction: query.dir === 'asc' ? 'asc' : 'desc' };
}

/** `?page=` and `?size=` within bounds. */
export function readPaging(query: Record<string, unknown>): GridPaging {
  const page = Number.parseInt(String(query.page ?? '1'), 10);
  const size = Number.parseInt(String(query.size ?? ''), 10);
  return {
    page: Number.isFinite(page) && page >= 1 ? Math.min(page, 1_000_000) : 1,
    size: (PAGE_SIZES as readonly number[]).includes(size) ? size : PAGE_SIZES[1],
  };
}

/** A header cell as the page shows it. */
export interface HeaderCell {
  id: string;
  label: string;
  size: ColumnSize;
  /** The link that sorts by this column (the other direction when it is the current one). */
  sortHref?: string;
  /** `aria-sort` of the header. */
  sorted: 'ascending' | 'descending' | 'none';
}

/** What the grid partial (`views/admin/partials/grid.ejs`) renders. */
export interface GridView {
  id: string;
  /** The page the grid is on, and where the columns form posts (`<path>/columns`). */
  path: string;
  /** The query of the current view (filters, sort, page), kept by sorting, paging and the columns form. */
  query: string;
  headers: HeaderCell[];
  /** The cells of each row, in the order of `headers`, with the row's key. */
  rows: Array<{ key: string; cells: Array<{ text: string; href?: string }> }>;
  /**
   * A checkbox per row (name `select`, value the row's key) belonging to the form with this id
   * (the page's bulk actions), and the label of each box; absent: no selection.
   */
  selection?: { form: string; label: string };
  /** Every column, for the columns form. */
  columns: Array<{ id: string; label: string; visible: boolean; size: ColumnSize; position: number }>;
  paging: {
    page: number;
    pages: number;
    total: number;
    size: number;
    previousHref?: string;
    nextHref?: string;
    /** Keyset-paged grids: the first and last pages, and a summary instead of "page n of m". */
    firstHref?: string;
    lastHref?: string;
    summary?: string;
  };
}

/** Builds the grid's view from the administrator's columns, one page of rows and the current query. */
export function gridView<Row>(options: {
  grid: GridDefinition<Row>;
  path: string;
  placed: PlacedColumn<Row>[];
  rows: Row[];
  key(row: Row): string;
  total: number;
  sort: GridSort;
  paging: GridPaging;
  /** The filters of the current view (without sort and page). */
  filters: Record<string, string>;
  translate(key: string): string;
  /** Rows can be selected for the bulk-action form with this id. */
  selectionForm?: string;
}): GridView {
  const { grid, path, placed, sort, paging, filters, translate } = options;
  const visible = placed.filter((p) => p.visible);
  const href = (changes: Record<string, string>) => {
    const params = new URLSearchParams({
      ...filters,
      sort: sort.column,
      dir: sort.direction,
      size: String(paging.size),
      page: String(paging.page),
      ...changes,
    });
    return `${path}?${params}`;
  };
  const pages = Math.max(1, Math.ceil(options.total / paging.size));
  const current = href({}).slice(path.length + 1);
  return {
    id: grid.id,
    path,
    query: current,
    headers: visible.map(({ column, size }) => {
      const isSorted = sort.column === column.id;
      return {
        id: column.id,
        label: translate(column.label),
        size,
        ...(column.sortable
          ? {
              sortHref: href({
                sort: column.id,
                dir: isSorted && sort.direction === 'desc' ? 'asc' : 'desc',
                page: '1',
              }),
            }
          : {}),
        sorted: isSorted ? (sort.direction === 'asc' ? 'ascending' : 'descending') : 'none',
      };
    }),
    rows: options.rows.map((row) => ({
      key: options.key(row),
      cells: visible.map(({ column }) => {
        const href = column.link?.(row);
        return { text: column.text(row), ...(href ? { href } : {}) };
      }),
    })),
    ...(options.selectionForm
      ? { selection: { form: options.selectionForm, label: translate('admin:grid.select') } }
      : {}),
    columns: placed.map((p, index) => ({
      id: p.column.id,
      label: translate(p.column.label),
      visible: p.visible,
      size: p.size,
      position: index + 1,
    })),
    paging: {
      page: paging.page,
      pages,
      total: options.total,
      size: paging.size,
      ...(paging.page > 1 ? { previousHref: href({ page: String(Math.min(paging.page - 1, pages)) }) } : {}),
      ...(paging.page < pages ? { nextHref: href({ page: String(paging.page + 1) }) } : {}),
    },
  };
}
