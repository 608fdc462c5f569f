/**
 * The value at a tiny dotted path (`status`, `messages.0.status`) inside parsed JSON or a form;
 * undefined when any step is missing. Enough for provider responses, without a query language.
 */
export function readPath(value: unknown, path: string): unknown {
  let node = value;
  for (const step of path.split('.')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = Array.isArray(node) ? node[Number(step)] : (node as Record<string, unknown>)[step];
  }
  return node;
}

/** A scalar at a path as text (numbers and booleans too), or undefined for anything else. */
export function readText(value: unknown, path: string): string | undefined {
  const found = readPath(value, path);
  return typeof found === 'string' || typeof found === 'number' || typeof found === 'boolean'
    ? String(found)
    : undefined;
}
