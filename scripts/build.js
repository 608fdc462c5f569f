#!/usr/bin/env node
// Compiles src/ to dist/ with esbuild (type-checking is `npm run typecheck`'s job). Runs after
// `npm ci` (prepare) and before `npm start`; takes a fraction of a second. bin/passgate.js uses
// dist/ when it is newer than every source file, and the TypeScript sources through tsx otherwise.
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('../', import.meta.url));
const sources = readdirSync(path.join(root, 'src'), { recursive: true, withFileTypes: true })
  .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts'))
  .map((entry) => path.join(entry.parentPath, entry.name));

rmSync(path.join(root, 'dist'), { recursive: true, force: true });
await build({
  entryPoints: sources,
  outdir: path.join(root, 'dist'),
  outbase: path.join(root, 'src'),
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
});
writeFileSync(path.join(root, 'dist', '.built'), `${new Date().toISOString()}\n`);
