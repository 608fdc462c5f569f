import { z } from 'zod';

/**
 * "Did you mean" for unknown configuration keys: the keys the schema accepts at a place in the
 * file, and the one a mistyped key is closest to. Read from the schema's JSON Schema form, so the
 * suggestions can never name a key the schema does not have.
 */

interface JsonSchemaNode {
  properties?: Record<string, JsonSchemaNode>;
  additionalProperties?: JsonSchemaNode | boolean;
  items?: JsonSchemaNode;
  anyOf?: JsonSchemaNode[];
  oneOf?: JsonSchemaNode[];
  allOf?: JsonSchemaNode[];
}

/** Edits (insertions, deletions, substitutions) allowed between a mistyped key and a suggestion. */
const MAX_DISTANCE = 2;

/** Keys accepted at `path` (numbers index lists; any other segment of a record matches its values). */
export function knownKeysAt(schema: z.ZodType, path: ReadonlyArray<PropertyKey>): string[] {
  let nodes = [jsonSchemaOf(schema)];
  for (const segment of path) {
    nodes = nodes.flatMap(variants).flatMap((node) => {
      if (typeof segment === 'number') return node.items ? [node.items] : [];
      const named = node.properties?.[String(segment)];
      if (named) return [named];
      return typeof node.additionalProperties === 'object' ? [node.additionalProperties] : [];
    });
  }
  return [...new Set(nodes.flatMap(variants).flatMap((node) => Object.keys(node.properties ?? {})))];
}

/** The known key nearest to `key`, when a typo (at most two edits, or another letter case) explains the difference. */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  let best: { key: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance =
      candidate.toLowerCase() === key.toLowerCase()
        ? 0
        : editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (distance <= MAX_DISTANCE && (!best || distance < best.distance)) best = { key: candidate, distance };
  }
  return best?.key;
}

const converted = new WeakMap<z.ZodType, JsonSchemaNode>();

function jsonSchemaOf(schema: z.ZodType): JsonSchemaNode {
  let node = converted.get(schema);
  if (!node) {
    node = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchemaNode;
    converted.set(schema, node);
  }
  return node;
}

function variants(node: JsonSchemaNode): JsonSchemaNode[] {
  const alternatives = [...(node.anyOf ?? []), ...(node.oneOf ?? []), ...(node.allOf ?? [])];
  return [node, ...alternatives.flatMap(variants)];
}

/** Levenshtein distance, by the two-row dynamic programme. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length] as number;
}
