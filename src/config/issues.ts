import type { z } from 'zod';
import { closestKey, knownKeysAt } from './suggest.js';

/** Where the settings came from, so that each problem can say which file or variable to fix. */
export interface SettingOrigins {
  /** Dotted key → the environment variable that set it. */
  fromEnv: Readonly<Record<string, string>>;
  file?: string | undefined;
}

/**
 * Turns every problem zod found into one line naming the key, the problem and where the value came
 * from, so an operator fixes the whole file in one pass; an unknown key close to a known one
 * (a typo) gets a "did you mean".
 */
export function describeIssues(
  schema: z.ZodType,
  issues: z.core.$ZodIssue[],
  origins: SettingOrigins,
): string[] {
  const lines = issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => {
        const suggestion = closestKey(key, knownKeysAt(schema, issue.path));
        const hint = suggestion ? `; did you mean ${dotted([...issue.path, suggestion])}?` : '';
        return problemLine(dotted([...issue.path, key]), `unknown key${hint}`, origins);
      });
    }
    const message = issue.message.replace(/^Invalid input: /, '');
    return [
      problemLine(dotted(issue.path), message.endsWith('received undefined') ? 'required' : message, origins),
    ];
  });
  return lines.length > 0 ? lines : ['invalid configuration'];
}

/** One problem as a line: the key, what is wrong, and the variable or file the value came from. */
export function problemLine(key: string, problem: string, origins: SettingOrigins): string {
  const variable = origins.fromEnv[key];
  const origin = variable ? ` (from ${variable})` : origins.file ? ` (in ${origins.file})` : '';
  return `${key || '(top level)'}: ${problem}${origin}`;
}

function dotted(path: ReadonlyArray<PropertyKey>): string {
  return path.map(String).join('.');
}
