/** Headers of one connection, never forwarded by a proxy (RFC 9110 §7.6.1), besides those `Connection` names. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/**
 * The end-to-end headers of a message as `rawHeaders` holds them (name, value, name, value ...),
 * names in their own case, repeated ones kept in order: what a proxy forwards unchanged.
 */
export function endToEndHeaders(raw: string[]): string[] {
  const named = new Set<string>();
  for (let i = 0; i < raw.length; i += 2)
    if (raw[i]!.toLowerCase() === 'connection')
      for (const token of raw[i + 1]!.split(',')) named.add(token.trim().toLowerCase());
  const kept: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (!HOP_BY_HOP.has(name) && !named.has(name)) kept.push(raw[i]!, raw[i + 1]!);
  }
  return kept;
}

/** Groups raw headers by name (case-insensitive, first spelling kept), repeated ones as lists, for `setHeader`. */
export function groupHeaders(raw: string[]): Map<string, { name: string; values: string[] }> {
  const grouped = new Map<string, { name: string; values: string[] }>();
  for (let i = 0; i < raw.length; i += 2) {
    const key = raw[i]!.toLowerCase();
    const entry = grouped.get(key);
    if (entry) entry.values.push(raw[i + 1]!);
    else grouped.set(key, { name: raw[i]!, values: [raw[i + 1]!] });
  }
  return grouped;
}
