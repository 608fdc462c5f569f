import {
  describeSummary,
  type ImportOptions,
  type ImportStore,
  type ImportSummary,
  importTokens,
} from './import.js';
import { loadImportFile, type ReadOptions, readTokenFile } from './read.js';

export { ImportErrors } from './errors.js';
export { type ImportPlan, type PlannedEntry, planImport } from './import.js';
export { MAX_IMPORT_BYTES, type ReadOptions, readTokenFile } from './read.js';
export { describeSummary, type ImportSummary, importTokens };

/**
 * Imports the hardware tokens of a PSKC or CSV file on disk: every entry is checked first, and
 * only a file without problems is imported, in one transaction (see {@link importTokens}).
 */
export async function importTokenFile(
  store: ImportStore,
  file: string,
  options: ReadOptions & ImportOptions = {},
): Promise<ImportSummary> {
  const read = await readTokenFile(await loadImportFile(file), { name: file, ...options });
  return importTokens(store, read, options);
}
