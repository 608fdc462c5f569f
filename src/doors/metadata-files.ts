import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describeError } from '../errors.js';

/** A metadata file that could not be used, and why (the other files keep working). */
export interface MetadataFileProblem {
  file: string;
  reason: string;
}

/** What a folder of metadata files held: the usable entries with their files, and the files that were not. */
export interface MetadataFiles<T> {
  entries: Array<{ file: string; value: T }>;
  problems: MetadataFileProblem[];
}

/** How entries are told apart: two files may not register the same key. */
export interface MetadataIdentity<T> {
  /** What the key is called in the refusal, e.g. `client_id`. */
  keyName: string;
  keyOf(value: T): string;
}

/**
 * Reads every `*.yaml`/`*.yml` of an application-metadata folder (`metadata/oidc`,
 * `metadata/radius` ...) in name order, one entry per file, parsed by `parse`. A file that fails
 * to parse, or registers a key another file registered first, is reported with its reason and
 * skipped; a folder that does not exist holds nothing.
 */
export function readMetadataFiles<T>(
  folder: string,
  parse: (text: string, file: string) => T,
  identity: MetadataIdentity<T>,
): MetadataFiles<T> {
  let names: string[];
  try {
    names = readdirSync(folder)
      .filter((n) => /\.ya?ml$/.test(n))
      .sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], problems: [] };
    throw error;
  }
  const entries: MetadataFiles<T>['entries'] = [];
  const problems: MetadataFileProblem[] = [];
  const seen = new Map<string, string>();
  for (const name of names) {
    const file = path.join(folder, name);
    try {
      const value = parse(readFileSync(file, 'utf8'), file);
      const key = identity.keyOf(value);
      const other = seen.get(key);
      if (other) throw new Error(`${identity.keyName} "${key}" is already registered by ${other}`);
      seen.set(key, name);
      entries.push({ file, value });
    } catch (error) {
      problems.push({ file, reason: describeError(error) });
    }
  }
  return { entries, problems };
}
