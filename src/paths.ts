import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Root of the Passgate installation (where package.json, views/ and locales/ live): the nearest
 * folder above this module with a package.json, since the module runs from src/, dist/ or a
 * bundle under dist/bundle/.
 */
export const PACKAGE_ROOT = packageRoot(path.dirname(fileURLToPath(import.meta.url)));

function packageRoot(from: string): string {
  for (let folder = from; ; folder = path.dirname(folder)) {
    if (existsSync(path.join(folder, 'package.json'))) return `${folder}${path.sep}`;
    if (path.dirname(folder) === folder) return fileURLToPath(new URL('../', import.meta.url));
  }
}
