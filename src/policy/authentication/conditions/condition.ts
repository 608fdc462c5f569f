import type { z } from 'zod';
import type { LoginFacts } from '../facts.js';

/** What semantic checks of a rule may consult (names that must exist elsewhere). */
export interface PolicyKnowledge {
  /** Group names known to the directory, lower-cased; group names are not checked without it. */
  groups?: () => Promise<ReadonlySet<string>>;
}

/**
 * One kind of condition of an Authentication Policy rule: its key in `when:`/`unless:`, the
 * schema of its value, and how a value becomes a test of a login's facts. A new condition is
 * one file like this plus one line in the registry.
 */
export interface ConditionType<T> {
  key: string;
  schema: z.ZodType<T>;
  /** Turns a validated value into a predicate, once per policy change (not per login). */
  compile(value: T): (facts: LoginFacts) => boolean;
  /** Problems only the store can tell (an unknown group), as messages; none when valid. */
  check?(value: T, knowledge: PolicyKnowledge): Promise<string[]>;
}

/** Declares a condition type with its value type inferred from the schema. */
export function condition<T>(type: ConditionType<T>): ConditionType<T> {
  return type;
}

/** The lower-cased members of a list, for case-insensitive lookups. */
export function lowerSet(values: readonly string[]): ReadonlySet<string> {
  return new Set(values.map((v) => v.toLowerCase()));
}
