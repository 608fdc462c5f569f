import { fileURLToPath } from 'node:url';

/** Root of the Passgate installation (where package.json, views/ and locales/ live). */
export const PACKAGE_ROOT = fileURLToPath(new URL('../', import.meta.url));
