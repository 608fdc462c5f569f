/** A value of a policy document in a few words: lists joined, objects as `key value` pairs. */
function words(value: unknown): string {
  if (Array.isArray(value)) return value.map(words).join(', ');
  if (value && typeof value === 'object') {
    return Object.entries(value)
      .map(([key, inner]) => `${key} ${words(inner)}`)
      .join(' ');
  }
  return String(value);
}

/** Conditions as one line: `networks 10.0.0.0/8; groups Staff`. */
function conditions(value: unknown): string {
  if (!value || typeof value !== 'object') return '';
  return Object.entries(value)
    .map(([key, inner]) => `${key} ${words(inner)}`)
    .join('; ');
}

/** What an Authentication Policy rule says, in one line, for the list of rules. */
export function ruleSummary(document: unknown): { when: string; unless: string; outcome: string } {
  const rule = (document ?? {}) as { when?: unknown; unless?: unknown; outcome?: Record<string, unknown> };
  const { action, ...rest } = rule.outcome ?? {};
  const details = conditions(rest);
  return {
    when: conditions(rule.when),
    unless: conditions(rule.unless),
    outcome: details ? `${String(action)} (${details})` : String(action),
  };
}

/** A policy of another kind in one line: its settings, for the lists of policies. */
export function policySummary(document: unknown): string {
  if (!document || typeof document !== 'object') return '';
  return Object.entries(document)
    .filter(([, value]) => !(value && typeof value === 'object' && !Array.isArray(value)))
    .map(([key, value]) => `${key} ${words(value)}`)
    .join('; ');
}
