/** The widths a column may take: classes of the style sheet (a CSP without inline styles allows no other). */
export const COLUMN_SIZES = ['xs', 's', 'm', 'l', 'xl'] as const;

/** A column width. */
export type ColumnSize = (typeof COLUMN_SIZES)[number];

/** One column a grid offers. */
export interface GridColumn<Row> {
  /** Stable id: stored in preferences, used in `?sort=`. */
  id: string;
  /** A key of the `admin` namespace. */
  label: string;
  /** Shown when the administrator has not chosen. */
  visible: boolean;
  size: ColumnSize;
  /** The grid's query can order by it. */
  sortable?: boolean;
  /** The cell's text (the page escapes it), also what the CSV export writes. */
  text(row: Row): string;
  /** Where the cell links to (a user's page ...), if anywhere. */
  link?(row: Row): string | undefined;
}

/** A data grid: its id (per administrator, per grid preferences) and its columns in default order. */
export interface GridDefinition<Row> {
  id: string;
  columns: GridColumn<Row>[];
}

/** A column as an administrator has it now: the definition's, in their order, shown or not, their width. */
export interface PlacedColumn<Row> {
  column: GridColumn<Row>;
  visible: boolean;
  size: ColumnSize;
}

/** What is stored for one column. */
export interface ColumnChoice {
  id: string;
  visible: boolean;
  size: ColumnSize;
}

/** The grid's defaults, as a choice. */
export function defaultChoice<Row>(grid: GridDefinition<Row>): ColumnChoice[] {
  return grid.columns.map((c) => ({ id: c.id, visible: c.visible, size: c.size }));
}

/**
 * The columns in the administrator's order: stored choices of columns the grid still has, then
 * columns added to the grid since (at their default), ignoring ids it no longer has. At least
 * one column stays visible.
 */
export function placeColumns<Row>(
  grid: GridDefinition<Row>,
  stored: readonly ColumnChoice[] | undefined,
): PlacedColumn<Row>[] {
  const byId = new Map(grid.columns.map((c) => [c.id, c]));
  const placed: PlacedColumn<Row>[] = [];
  for (const choice of stored ?? []) {
    const column = byId.get(choice.id);
    if (!column) continue;
    byId.delete(choice.id);
    const size = COLUMN_SIZES.includes(choice.size) ? choice.size : column.size;
    placed.push({ column, visible: choice.visible === true, size });
  }
  for (const column of byId.values()) placed.push({ column, visible: column.visible, size: column.size });
  if (!placed.some((p) => p.visible) && placed[0]) placed[0].visible = true;
  return placed;
}

/**
 * Reads the "columns" form: for each column `visible.<id>` (a checkbox), `order.<id>` (its
 * position, a number) and `size.<id>`. Unknown columns and values are ignored; a column given
 * the position another one holds takes it (the other moves down), and a form that hides every
 * column is refused (undefined).
 */
export function readColumnsForm<Row>(
  grid: GridDefinition<Row>,
  current: readonly PlacedColumn<Row>[],
  body: Record<string, unknown>,
): ColumnChoice[] | undefined {
  const field = (name: string) => (typeof body[name] === 'string' ? (body[name] as string) : undefined);
  const chosen = current.map((placed, index) => {
    const { id } = placed.column;
    const order = Number.parseInt(field(`order.${id}`) ?? '', 10);
    const size = field(`size.${id}`) as ColumnSize | undefined;
    const position = Number.isFinite(order) ? order : index + 1;
    return {
      index,
      order: position,
      moved: position !== index + 1,
      choice: {
        id,
        visible: field(`visible.${id}`) === 'on',
        size: size && COLUMN_SIZES.includes(size) ? size : placed.size,
      },
    };
  });
  chosen.sort((a, b) => a.order - b.order || Number(b.moved) - Number(a.moved) || a.index - b.index);
  const columns = chosen.map((c) => c.choice);
  if (!columns.some((c) => c.visible)) return undefined;
  return grid.columns.length === columns.length ? columns : undefined;
}

/** Moves one column up or down by one place (the buttons next to each column in the form). */
export function moveColumn<Row>(
  current: readonly PlacedColumn<Row>[],
  id: string,
  direction: 'up' | 'down',
): ColumnChoice[] {
  const columns = current.map((p) => ({ id: p.column.id, visible: p.visible, size: p.size }));
  const from = columns.findIndex((c) => c.id === id);
  const to = direction === 'up' ? from - 1 : from + 1;
  if (from < 0 || to < 0 || to >= columns.length) return columns;
  [columns[from], columns[to]] = [columns[to]!, columns[from]!];
  return columns;
}
