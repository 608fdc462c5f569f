import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { type CsvOptions, readCsv } from './csv.js';
import type { ImportRead } from './entry.js';
import { ImportErrors } from './errors.js';
import { pskcNeedsKey, readPskc } from './pskc.js';
import { parsePreSharedKey } from './pskc-crypto.js';
import { parseXml } from './xml.js';

/** Formats `token import` reads. */
export type ImportFormat = 'pskc' | 'csv';

/** How to read an import file. */
export interface ReadOptions extends CsvOptions {
  /** Default: from the file name (.csv; .xml, .pskc, .pskcxml), else from the content. */
  format?: ImportFormat;
  /** The file's name, to guess the format from. */
  name?: string;
  /**
   * Gives the pre-shared key (hexadecimal) of an encrypted PSKC file; asked only when the file
   * is encrypted, so a plain file never prompts.
   */
  preSharedKey?: () => Promise<string>;
}

/** Larger files are refused before they are read: a token file of this size is a mistake. */
export const MAX_IMPORT_BYTES = 16 * 1024 * 1024;

/** Reads an import file from disk as UTF-8 text, refusing anything implausibly large. */
export async function loadImportFile(file: string): Promise<string> {
  const { size } = await stat(file);
  if (size > MAX_IMPORT_BYTES) {
    throw ImportErrors.IMPORT_INVALID_FILE({
      detail: `${file} has ${size} bytes; at most ${MAX_IMPORT_BYTES} are read`,
    });
  }
  return readFile(file, 'utf8');
}

/** Reads the tokens of a PSKC or CSV file; problems with single entries are collected, not thrown. */
export async function readTokenFile(text: string, options: ReadOptions = {}): Promise<ImportRead> {
  const format = options.format ?? guessFormat(text, options.name);
  if (format === 'csv') return readCsv(text, options);
  const doc = parseXml(text);
  let psk: Buffer | undefined;
  if (pskcNeedsKey(doc) && options.preSharedKey) psk = parsePreSharedKey(await options.preSharedKey());
  return readPskc(doc, psk);
}

function guessFormat(text: string, name: string | undefined): ImportFormat {
  const extension = name ? path.extname(name).toLowerCase() : '';
  if (extension === '.csv') return 'csv';
  if (['.xml', '.pskc', '.pskcxml'].includes(extension)) return 'pskc';
  return text
    .replace(/^\uFEFF/, '')
    .trimStart()
    .startsWith('<')
    ? 'pskc'
    : 'csv';
}
