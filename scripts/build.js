#!/usr/bin/env node
// Compiles src/ to dist/ with esbuild (type-checking is `npm run typecheck`'s job). Runs after
// `npm ci` (prepare) and before `npm start`; takes a fraction of a second. bin/passgate.js uses
// dist/ when it is newer than every source file, and the TypeScript sources through tsx otherwise.
//
// Two outputs: dist/<path>.js, one file per source file (what profiles attribute by folder), and
// dist/bundle/, the CLI bundled with its dependencies into a few files (what `passgate` runs):
// resolving, reading and compiling about 1,500 separate modules was most of the start-up time.
import { readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('../', import.meta.url));
const sources = readdirSync(path.join(root, 'src'), { recursive: true, withFileTypes: true })
  .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts'))
  .map((entry) => path.join(entry.parentPath, entry.name));

/** The entry points bin/load.js takes from dist/bundle/ (the others from dist/). */
const BUNDLED = ['cli/main'];
/**
 * Packages left in node_modules: native add-ons, and packages that find files next to their own
 * modules at run time (a .wasm file); with those that name `__dirname` or `__filename` (worker
 * scripts, dictionaries), found by {@link packagesNamingTheirFolder}.
 */
const EXTERNAL = ['better-sqlite3', 'libxml2-wasm', 'pg-native'];

const common = { format: 'esm', platform: 'node', target: 'node20', logLevel: 'warning' };
const bundleOptions = {
  ...common,
  entryPoints: Object.fromEntries(BUNDLED.map((name) => [name, path.join(root, 'src', `${name}.ts`)])),
  outdir: path.join(root, 'dist', 'bundle'),
  bundle: true,
  // Commands load the server, the mailer and the SMPP client with import(): separate chunks.
  splitting: true,
};
const external = [...EXTERNAL, ...(await packagesNamingTheirFolder())];
rmSync(path.join(root, 'dist'), { recursive: true, force: true });
await Promise.all([
  build({
    ...common,
    entryPoints: sources,
    outdir: path.join(root, 'dist'),
    outbase: path.join(root, 'src'),
    sourcemap: true,
  }),
  build({
    ...bundleOptions,
    external,
    // Whitespace and syntax only: V8 reads, decodes and keeps the source text (names stay for profiles).
    minifyWhitespace: true,
    minifySyntax: true,
    // Packages read the names of their classes (oidc-provider's ttl.IdToken): renamed in a bundle
    // where two classes share a name, unless kept.
    keepNames: true,
    // Bundled CommonJS packages call require() for node built-ins and the external packages.
    banner: {
      js: "import { createRequire as __passgateRequire } from 'node:module'; const require = __passgateRequire(import.meta.url);",
    },
    sourcemap: 'linked',
    legalComments: 'none',
  }),
]);
asciiOnly(path.join(root, 'dist', 'bundle'));
writeFileSync(path.join(root, 'dist', '.built'), `${new Date().toISOString()}\n`);

/**
 * V8 keeps the source text of every script, as one byte per character only while all of it is
 * Latin-1: a single other character (esbuild leaves them in regular-expression literals) doubles
 * a multi-megabyte chunk in memory. Each is written as a \u escape instead, which means the same
 * in string, template and regular-expression literals, identifiers and comments.
 */
function asciiOnly(folder) {
  for (const entry of readdirSync(folder, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.js')) continue;
    const file = path.join(entry.parentPath, entry.name);
    const text = readFileSync(file, 'utf8');
    const escaped = text.replace(
      /[\u0080-\uffff]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
    if (escaped !== text) writeFileSync(file, escaped);
  }
}

/**
 * The packages the bundle would take in whose modules name `__dirname` or `__filename`: those
 * are undefined in an ES module, and would point into dist/bundle/ anyway. A dry run of the
 * bundle lists them, so that a new dependency of that kind stays external by itself.
 */
async function packagesNamingTheirFolder() {
  const modules = realpathSync(path.join(root, 'node_modules'));
  const found = new Set();
  await build({
    ...bundleOptions,
    external: EXTERNAL,
    write: false,
    logLevel: 'silent',
    plugins: [
      {
        name: 'packages-naming-their-folder',
        setup(builder) {
          builder.onLoad({ filter: /[\\/]node_modules[\\/].*\.[cm]?js$/ }, (args) => {
            if (!/\b__(?:dirname|filename)\b/.test(readFileSync(args.path, 'utf8'))) return undefined;
            const relative = path.relative(modules, args.path).split(path.sep);
            const name = relative[0].startsWith('@') ? `${relative[0]}/${relative[1]}` : relative[0];
            // Left external, a nested copy would be replaced by the top-level one of that name.
            if (relative.includes('node_modules') || relative[0] === '..')
              throw new Error(`${args.path} names __dirname or __filename: it cannot be bundled`);
            found.add(name);
            return undefined;
          });
        },
      },
    ],
  });
  return [...found].sort();
}
