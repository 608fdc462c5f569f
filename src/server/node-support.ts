import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../paths.js';

/**
 * The Node.js versions Passgate supports are stated once, in package.json `engines.node` (the
 * oldest LTS every library supports: oidc-provider wants 22 LTS or later). An older Node.js still
 * runs Passgate; the start-up log says it is unsupported and which versions are.
 */
export function unsupportedNodeWarning(
  version: string = process.versions.node,
  range: string | undefined = supportedNodeRange(),
): string | undefined {
  const minimum = /^>=\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(range?.trim() ?? '');
  if (!minimum) return undefined;
  const wanted = minimum.slice(1).map((part) => Number(part ?? 0));
  const actual = version.split('.').map(Number);
  const order = wanted.map((part, i) => (actual[i] ?? 0) - part).find((difference) => difference !== 0) ?? 0;
  if (order >= 0) return undefined;
  return `Node.js ${version} is older than the supported versions (package.json engines: ${range}): use Node.js ${wanted[0]} LTS or later`;
}

/** `engines.node` of package.json. */
function supportedNodeRange(): string | undefined {
  const manifest = JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as {
    engines?: { node?: string };
  };
  return manifest.engines?.node;
}
