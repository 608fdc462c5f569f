/**
 * Passgate's layering rules (issue 13): a folder may import only folders in its own layer or below,
 * and no file imports itself through others (no-circular, at the end).
 * Layers, top to bottom; each entry lists the folders (paths under the repository root) it holds.
 * Renaming a folder (e.g. src/engine -> src/core) means editing its entry here only; the doors and
 * the door contract are read from src/doors/ (every folder a door, every file the contract layer).
 * Run by `npm run lint` (`depcruise src --config .dependency-cruiser.cjs`); see docs/architecture.md.
 */

const { existsSync, readdirSync } = require('node:fs');

/** Composition roots: they wire everything together and may import every layer. */
const ROOTS = ['src/server', 'src/cli', 'src/demo'];
/** What src/doors/ holds, read from disk: a new door (a folder) needs no entry here. */
const doorEntries = existsSync('src/doors') ? readdirSync('src/doors', { withFileTypes: true }) : [];
/** The doors: every folder of src/doors/; a door never imports another door. */
const DOORS = doorEntries.filter((entry) => entry.isDirectory()).map((entry) => `src/doors/${entry.name}`);
/** The files of src/doors/ beside the door folders: the Door contract and helpers shared by the doors. */
const DOOR_CONTRACT = doorEntries.filter((entry) => entry.isFile()).map((entry) => `src/doors/${entry.name}`);

const LAYERS = [
  { name: 'roots', folders: ROOTS },
  { name: 'doors', folders: DOORS },
  /** The Door contract and what every door is handed (core, engine), and the doors' shared helpers. */
  { name: 'door-contract', folders: DOOR_CONTRACT },
  /** The hosted login every door shares. */
  { name: 'login', folders: ['src/login'] },
  /** The web site shell: express app, page rendering, CSRF, error pages. */
  { name: 'web', folders: ['src/web'] },
  { name: 'engine', folders: ['src/engine'] },
  /** ActiveSync devices and their approval (DeviceApprovals), shared by the door and the sites. */
  { name: 'devices', folders: ['src/devices'] },
  /** Licence seats and the licence file: used by the engine's sign-in, bounded by the store. */
  { name: 'licences', folders: ['src/licences'] },
  /** policy, dispatch and tokens are one tier in the order; strictly ordered here so they cannot form a cycle. */
  { name: 'policy', folders: ['src/policy'] },
  { name: 'dispatch', folders: ['src/dispatch'] },
  { name: 'tokens', folders: ['src/tokens'] },
  /** The record of every sign-in attempt (results, the writer), which the engine and the policy report to. */
  { name: 'attempts', folders: ['src/attempts'] },
  { name: 'directory-keys', folders: ['src/directory', 'src/keys'] },
  { name: 'store', folders: ['src/store'] },
  /** Utilities every layer may use. */
  { name: 'utilities', folders: ['src/crypto', 'src/observability', 'src/geo', 'src/monitoring'] },
  { name: 'config', folders: ['src/config'] },
  /** Leaf modules: the error model, the clock, paths and ambient types. */
  { name: 'base', folders: ['src/errors.ts', 'src/clock.ts', 'src/paths.ts', 'src/types'] },
];

/** A regular expression matching any of the folders (or single files). */
function matching(folders) {
  const escaped = folders.map((folder) => folder.replace(/[.]/g, '\\.'));
  return `^(${escaped.join('|')})($|/)`;
}

const layerRules = LAYERS.slice(1).map((layer, index) => {
  const higher = LAYERS.slice(0, index + 1).flatMap((l) => l.folders);
  return {
    name: `layer-${layer.name}`,
    severity: 'error',
    comment: `${layer.folders.join(', ')} may import only its own layer and the layers below it, never ${higher.join(', ')}.`,
    from: { path: matching(layer.folders) },
    to: { path: matching(higher) },
  };
});

const doorRules = DOORS.map((door) => ({
  name: 'doors-are-independent',
  severity: 'error',
  comment: `${door} is a door; doors share code only through the login and lower layers.`,
  from: { path: matching([door]) },
  to: { path: matching(DOORS.filter((other) => other !== door)) },
}));

/**
 * No file reaches itself through its imports, also inside one folder. Type-only imports count:
 * a type-only cycle costs nothing at run time, but it still means two modules each own a part of
 * the other; the type moves to the module that owns it.
 */
const noCircular = {
  name: 'no-circular',
  severity: 'error',
  comment: 'Circular imports: move the shared type or function to the module that owns it.',
  from: {},
  to: { circular: true },
};

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [...layerRules, ...doorRules, noCircular],
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: 'node_modules' },
  },
};
