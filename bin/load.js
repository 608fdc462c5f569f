// Loads a module of src/: from the compiled dist/ when it is up to date (npm ci and npm start
// build it, see scripts/build.js), otherwise from the TypeScript sources through tsx, so that a
// fresh edit never runs stale code. An entry point that scripts/build.js also bundles comes from
// dist/bundle/ (it starts in a fraction of the time), unless PASSGATE_UNBUNDLED=1 (CPU profiles,
// which attribute time by source folder).
import { existsSync, readdirSync, statSync } from 'node:fs';

const root = new URL('../', import.meta.url);

function distIsCurrent() {
  let built;
  try {
    built = statSync(new URL('dist/.built', root)).mtimeMs;
  } catch {
    return false;
  }
  const src = new URL('src/', root);
  return readdirSync(src, { recursive: true }).every((file) => statSync(new URL(file, src)).mtimeMs <= built);
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
