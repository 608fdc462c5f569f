// Loads a module of src/: from the compiled dist/ when it is up to date (npm ci and npm start
// build it, see scripts/build.js), otherwise from the TypeScript sources through tsx, so that a
// fresh edit never runs stale code. An entry point that scripts/build.js also bundles comes from
// dist/bundle/ (it starts in a fraction of the time), unless PASSGATE_UNBUNDLED=1 (CPU profiles,
// which attribute time by source folder).
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = new URL('../', import.meta.url);

function distIsCurrent() {
  let built;
  try {
    built = statSync(new URL('dist/.built', root)).mtimeMs;
  } catch {
    return false;
  }
  return !changedSince(fileURLToPath(new URL('src', root)), built);
}

/**
 * Whether a file or folder under `folder` (the folder itself included: a removed or renamed
 * file changes it) changed after `time`. Walked with plain paths and directory entries, it costs
 * about a third of statting every file by URL, on every start of every command.
 */
function changedSince(folder, time) {
  if (statSync(folder).mtimeMs > time) return true;
  return readdirSync(folder, { withFileTypes: true }).some((entry) => {
    const file = path.join(folder, entry.name);
    return entry.isDirectory() ? changedSince(file, time) : statSync(file).mtimeMs > time;
  });
}

/** Imports `src/<name>.ts` (or `dist/bundle/<name>.js`, or `dist/<name>.js`). */
export async function loadSource(name) {
  if (distIsCurrent()) {
    const bundled = new URL(`dist/bundle/${name}.js`, root);
    if (process.env.PASSGATE_UNBUNDLED !== '1' && existsSync(bundled)) return import(bundled.href);
    return import(new URL(`dist/${name}.js`, root).href);
  }
  const { register } = await import('tsx/esm/api');
  register();
  return import(new URL(`src/${name}.ts`, root).href);
}
