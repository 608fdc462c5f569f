import type { Response } from 'express';
import { csvRecord } from './csv.js';
import type { PlacedColumn } from './grid.js';

/** The most rows one CSV export writes; narrow the filter for more. */
export const CSV_MAX_ROWS = 100_000;

/** Rows read from the store per query while exporting. */
const CSV_BATCH = 1_000;

/**
 * Writes a grid's filtered rows as a CSV download: the administrator's shown columns in their
 * order, a header of their labels, UTF-8 with a byte order mark (so spreadsheets read it as
 * such), RFC 4180 records through `csvRecord` (formula-safe), read from the store in batches,
 * at most {@link CSV_MAX_ROWS} rows.
 */
export async function writeGridCsv<Row>(
  res: Response,
  options: {
    /** The file's name, without the extension. */
    name: string;
    /** The administrator's columns (the shown ones are written). */
    placed: readonly PlacedColumn<Row>[];
    translate(key: string): string;
    /** Rows `offset` to `offset + limit` of the filtered, sorted rows. */
    rows(limit: number, offset: number): Promise<Row[]>;
  },
): Promise<void> {
  const columns = options.placed.filter((p) => p.visible);
  res.type('text/csv; charset=utf-8');
  res.set('Content-Disposition', `attachment; filename="${options.name}.csv"`);
  res.write(`\uFEFF${csvRecord(columns.map((p) => options.translate(p.column.label)))}`);
  for (let offset = 0; offset < CSV_MAX_ROWS; offset += CSV_BATCH) {
    const rows = await options.rows(Math.min(CSV_BATCH, CSV_MAX_ROWS - offset), offset);
    for (const row of rows) res.write(csvRecord(columns.map((p) => p.column.text(row))));
    if (rows.length < CSV_BATCH) break;
  }
  res.end();
}
