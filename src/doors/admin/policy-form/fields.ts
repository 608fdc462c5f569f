import type { z } from 'zod';

/** What every form field has: where its value goes in the document, and its input's name. */
interface FieldBase {
  /** The key in its object (`networks`), for the label. */
  key: string;
  /** Where the value goes in the document, dot-separated (`when.networks`); problems name it. */
  path: string;
  /** The input's name, unique in the form (variants' fields carry their variant). */
  name: string;
  /** The schema's own description, shown under the input. */
  description: string | undefined;
  /** The default the schema fills in when the input is left empty, for the placeholder. */
  fallback: unknown;
}

/** One input of a policy form, derived from the kind's schema (see {@link formFields}). */
export type FormField =
  /** One line of text or a number. */
  | (FieldBase & { kind: 'text' | 'number' })
  /** One of a few values. */
  | (FieldBase & { kind: 'choice'; options: string[] })
  /** Yes, no, or left out. */
  | (FieldBase & { kind: 'flag' })
  /** A list of values, one a line (or separated by commas); `options` when they are fixed. */
  | (FieldBase & { kind: 'list'; options: string[] | undefined })
  /** An object's fields together. */
  | (FieldBase & { kind: 'group'; fields: FormField[] })
  /** One of several shapes, chosen by `discriminator` (a rule's `action`, a token's `type`). */
  | (FieldBase & {
      kind: 'variants';
      discriminator: string;
      variants: Array<{ value: string; description: string | undefined; fields: FormField[] }>;
    })
  /** Anything else (texts by language, reply attributes), written as YAML. */
  | (FieldBase & { kind: 'yaml' });

// zod 4 describes every schema by its `_zod.def`; only what the form needs is read here.
interface Def {
  type: string;
  innerType?: Schema;
  defaultValue?: unknown;
  shape?: Record<string, Schema>;
  element?: Schema;
  in?: Schema;
  options?: Schema[];
  discriminator?: string;
  entries?: Record<string, string>;
  values?: unknown[];
}
type Schema = z.ZodType & { _zod: { def: Def }; description?: string };

const WRAPPERS = new Set(['optional', 'default', 'prefault', 'nullable', 'readonly', 'catch']);

/** The schema under optional/default wrappers, its description and the default it fills in. */
function unwrap(schema: Schema): { inner: Schema; description: string | undefined; fallback: unknown } {
  let inner = schema;
  let description = schema.description;
  let fallback: unknown;
  while (WRAPPERS.has(inner._zod.def.type) || inner._zod.def.type === 'pipe') {
    const def = inner._zod.def;
    if (def.type === 'default' && fallback === undefined) {
      fallback =
        typeof def.defaultValue === 'function' ? (def.defaultValue as () => unknown)() : def.defaultValue;
    }
    inner = (def.type === 'pipe' ? def.in : def.innerType) as Schema;
    description ??= inner.description;
  }
  return { inner, description, fallback };
}

/** The fixed values of an enum or literal, or undefined for a free one. */
function optionsOf(schema: Schema): string[] | undefined {
  const { inner } = unwrap(schema);
  const def = inner._zod.def;
  if (def.type === 'enum') return Object.values(def.entries ?? {}).map(String);
  if (def.type === 'literal') return (def.values ?? []).map(String);
  return undefined;
}

const SCALARS = new Set(['string', 'number', 'int', 'bigint', 'enum', 'literal', 'boolean']);

/**
 * The fields of a form for a policy kind, read from its zod schema: so the forms follow the
 * schema (a new condition in the registry, a new token type) without a template of their own,
 * and what is entered is validated by that same schema. `prefix` names variants' inputs apart.
 */
export function formFields(schema: z.ZodType, path: string[] = [], prefix = ''): FormField[] {
  const { inner } = unwrap(schema as Schema);
  const def = inner._zod.def;
  if (def.type !== 'object') return [];
  return Object.entries(def.shape ?? {}).map(([key, child]) => fieldOf(key, child, [...path, key], prefix));
}

function fieldOf(key: string, schema: Schema, path: string[], prefix: string): FormField {
  const { inner, description, fallback } = unwrap(schema);
  const def = inner._zod.def;
  const base = { key, path: path.join('.'), name: `${prefix}${path.join('.')}`, description, fallback };
  switch (def.type) {
    case 'string':
      return { ...base, kind: 'text' };
    case 'number':
    case 'int':
      return { ...base, kind: 'number' };
    case 'boolean':
      return { ...base, kind: 'flag' };
    case 'enum':
    case 'literal':
      return { ...base, kind: 'choice', options: optionsOf(inner) ?? [] };
    case 'array': {
      const element = unwrap(def.element as Schema).inner;
      if (!SCALARS.has(element._zod.def.type)) return { ...base, kind: 'yaml' };
      return { ...base, kind: 'list', options: optionsOf(element) };
    }
    case 'object':
      return { ...base, kind: 'group', fields: formFields(inner, path, prefix) };
    case 'union':
      if (def.discriminator) return variantsOf(base, def.discriminator, def.options ?? [], path, prefix);
      return { ...base, kind: 'yaml' };
    default:
      return { ...base, kind: 'yaml' };
  }
}

function variantsOf(
  base: FieldBase,
  discriminator: string,
  options: Schema[],
  path: string[],
  prefix: string,
): FormField {
  const variants = options.map((option) => {
    const shape = unwrap(option).inner._zod.def.shape ?? {};
    const tag = shape[discriminator] as Schema;
    const value = optionsOf(tag)?.[0] ?? '';
    const fields = formFields(option, path, `${prefix}${base.name}~${value}:`).filter(
      (field) => field.key !== discriminator,
    );
    return { value, description: unwrap(tag).description, fields };
  });
  return { ...base, kind: 'variants', discriminator, variants };
}

/**
 * The fields of a whole document whose top level is a discriminated union (a Token Policy's
 * `type`): one variants field over the document itself; other kinds are their object's fields.
 */
export function documentFields(schema: z.ZodType): FormField[] {
  const { inner } = unwrap(schema as Schema);
  const def = inner._zod.def;
  if (def.type === 'union' && def.discriminator) {
    const base = {
      key: def.discriminator,
      path: '',
      name: 'document',
      description: undefined,
      fallback: undefined,
    };
    return [variantsOf(base, def.discriminator, def.options ?? [], [], '')];
  }
  return formFields(schema);
}
