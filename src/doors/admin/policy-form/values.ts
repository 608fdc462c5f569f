import { parse as parseYaml, stringify } from 'yaml';
import type { PolicyProblem } from '../../../policy/authentication/check.js';
import type { FormField } from './fields.js';

/** A form post's fields, by input name (what express's urlencoded parser gives). */
export type FormBody = Record<string, unknown>;

/** The text of one input of a post (the first, when a name came twice). */
const textOf = (body: FormBody, name: string): string => {
  const value = body[name];
  return (Array.isArray(value) ? String(value[0] ?? '') : typeof value === 'string' ? value : '').trim();
};

const get = (document: unknown, path: string): unknown =>
  path === ''
    ? document
    : path
        .split('.')
        .reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], document);

/** The last key of a path (the field's key in its object). */
const keyOf = (field: FormField) => field.key;

/**
 * The document a form post describes: each field's input read by its kind (empty inputs left
 * out, so that the schema's defaults apply); only the chosen variant's fields are read. YAML that
 * does not parse is a problem at its field; everything else is the schema's to judge.
 */
export function readDocument(
  fields: readonly FormField[],
  body: FormBody,
): { document: Record<string, unknown>; problems: PolicyProblem[] } {
  const problems: PolicyProblem[] = [];
  const readObject = (list: readonly FormField[]): Record<string, unknown> => {
    const object: Record<string, unknown> = {};
    for (const field of list) {
      const value = readField(field);
      if (value !== undefined) object[keyOf(field)] = value;
    }
    return object;
  };
  const readField = (field: FormField): unknown => {
    const text = textOf(body, field.name);
    switch (field.kind) {
      case 'text':
      case 'choice':
        return text === '' ? undefined : text;
      case 'number':
        return text === '' ? undefined : /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text;
      case 'flag':
        return text === 'true' ? true : text === 'false' ? false : undefined;
      case 'list': {
        const items = text
          .split(/[\n,]+/)
          .map((item) => item.trim())
          .filter(Boolean);
        return items.length === 0 ? undefined : items;
      }
      case 'group': {
        const object = readObject(field.fields);
        return Object.keys(object).length === 0 ? undefined : object;
      }
      case 'variants': {
        const variant = field.variants.find((v) => v.value === text);
        if (!variant) return text === '' ? undefined : { [field.discriminator]: text };
        return { [field.discriminator]: variant.value, ...readObject(variant.fields) };
      }
      case 'yaml': {
        if (text === '') return undefined;
        try {
          return parseYaml(text) as unknown;
        } catch (error) {
          problems.push({
            path: field.path,
            message: `not valid YAML: ${(error as Error).message.split('\n')[0]}`,
          });
          return undefined;
        }
      }
    }
  };
  const document: Record<string, unknown> = {};
  for (const field of fields) {
    const value = readField(field);
    if (value === undefined) continue;
    if (field.path === '' && typeof value === 'object') Object.assign(document, value);
    else document[keyOf(field)] = value;
  }
  return { document, problems };
}

/** What each input shows for a stored document: its value written as the input reads it back. */
export function inputValues(fields: readonly FormField[], document: unknown): Record<string, string> {
  const values: Record<string, string> = {};
  const visit = (list: readonly FormField[]) => {
    for (const field of list) {
      const value = get(document, field.path);
      switch (field.kind) {
        case 'group':
          visit(field.fields);
          break;
        case 'variants': {
          const chosen = (field.path === '' ? document : value) as Record<string, unknown> | undefined;
          const tag = chosen?.[field.discriminator];
          if (tag === undefined) break;
          values[field.name] = String(tag);
          visit(field.variants.find((v) => v.value === tag)?.fields ?? []);
          break;
        }
        case 'list':
          if (Array.isArray(value)) values[field.name] = value.map(String).join('\n');
          break;
        case 'yaml':
          if (value !== undefined) values[field.name] = stringify(value).trimEnd();
          break;
        default:
          if (value !== undefined && value !== null) values[field.name] = String(value);
      }
    }
  };
  visit(fields);
  return values;
}

/** What a post showed in each input, to show it again beside its errors. */
export function postedValues(body: FormBody): Record<string, string> {
  return Object.fromEntries(Object.keys(body).map((name) => [name, textOf(body, name)]));
}

/** Problems placed at their inputs (by input name), and those no input owns. */
export interface PlacedProblems {
  byField: Record<string, string[]>;
  general: string[];
}

/**
 * Puts each problem at the input its path belongs to (the deepest field whose path starts it;
 * within variants, the chosen one's), so the form shows it there; the rest go above the form.
 */
export function placeProblems(
  fields: readonly FormField[],
  values: Record<string, string>,
  problems: readonly PolicyProblem[],
): PlacedProblems {
  const owners: Array<{ path: string; name: string }> = [];
  const visit = (list: readonly FormField[]) => {
    for (const field of list) {
      if (field.kind === 'group') {
        visit(field.fields);
      } else if (field.kind === 'variants') {
        owners.push({ path: [field.path, field.discriminator].filter(Boolean).join('.'), name: field.name });
        if (field.path !== '') owners.push({ path: field.path, name: field.name });
        visit(field.variants.find((v) => v.value === values[field.name])?.fields ?? []);
      } else {
        owners.push({ path: field.path, name: field.name });
      }
    }
  };
  visit(fields);
  const placed: PlacedProblems = { byField: {}, general: [] };
  for (const problem of problems) {
    const owner = owners
      .filter((o) => problem.path === o.path || problem.path.startsWith(`${o.path}.`))
      .sort((a, b) => b.path.length - a.path.length)[0];
    if (owner) placed.byField[owner.name] = [...(placed.byField[owner.name] ?? []), problem.message];
    else placed.general.push(problem.path ? `${problem.path}: ${problem.message}` : problem.message);
  }
  return placed;
}
