/**
 * Lays out a listing under a header row, in columns as wide as their widest cell, so that people
 * can read it (`--json` is for scripts). Control characters become spaces: a description with a
 * newline or an escape sequence must not break the layout or the terminal.
 */
export function formatTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string[] {
  const clean = (cell: string) => cell.replace(/\p{Cc}/gu, ' ');
  const cleaned = rows.map((row) => row.map(clean));
  const widths = header.map((title, column) =>
    Math.max(title.length, ...cleaned.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...cleaned.map(line)];
}
