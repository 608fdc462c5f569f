import { z } from 'zod';
import { DispatchErrors } from './errors.js';
import type { OutboundMessage } from './gateway.js';

/**
 * Placeholders in gateway settings: `{to}`, `{text}`, `{id}` ... from the message, `{env.NAME}`
 * from the environment (so secrets never sit in the YAML file), each with an optional encoding
 * filter: `{spoken|xml}`, `{text|json}`, `{to|url}`, `{text|raw}`.
 */

/** Message fields a template may name. */
export const MESSAGE_FIELDS = ['to', 'toDigits', 'text', 'id', 'spoken', 'language', 'subject', 'channel'];

/** How a placeholder's value is encoded where it lands. */
export type Filter = 'raw' | 'url' | 'json' | 'xml';

const FILTERS: Record<Filter, (value: string) => string> = {
  raw: (value) => value,
  url: encodeURIComponent,
  json: (value) => JSON.stringify(value).slice(1, -1),
  xml: (value) =>
    value.replace(
      /[&<>"']/g,
      (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] as string,
    ),
};

const PLACEHOLDER = /\{([A-Za-z][\w.]*)(?:\|(\w+))?\}/g;
const ENV_NAME = /^env\.([A-Za-z_][A-Za-z0-9_]*)$/;

/** A setting that must name an environment variable, never hold a secret itself. */
export const secretReference = z
  .string()
  .regex(/^\{env\.[A-Za-z_][A-Za-z0-9_]*\}$/, 'expected {env.NAME}: secrets come from environment variables');

/** A compiled template: message in, text out. */
export type Template = (message: OutboundMessage) => string;

/** Where a template sits, for error messages: gateway name and setting. */
export interface TemplateOrigin {
  gateway: string;
  setting: string;
  env: Readonly<Record<string, string | undefined>>;
}

/**
 * Compiles a template once, at start-up: unknown placeholders or filters and unset environment
 * variables stop the start with a line naming the gateway and the setting.
 */
export function compileTemplate(source: string, origin: TemplateOrigin, filter: Filter = 'raw'): Template {
  const fail = (problem: string) =>
    DispatchErrors.GATEWAY_MISCONFIGURED({
      detail: `dispatch.gateways "${origin.gateway}": ${origin.setting}: ${problem}`,
    });
  const parts: Array<string | ((message: OutboundMessage) => string)> = [];
  let last = 0;
  for (const match of source.matchAll(PLACEHOLDER)) {
    const [whole, name = '', named] = match;
    parts.push(source.slice(last, match.index));
    last = match.index + whole.length;
    const encode = FILTERS[(named ?? filter) as Filter];
    if (!encode) throw fail(`unknown filter |${named} (expected ${Object.keys(FILTERS).join(', ')})`);
    const env = ENV_NAME.exec(name)?.[1];
    if (env !== undefined) {
      const value = origin.env[env];
      if (value === undefined || value === '') throw fail(`environment variable ${env} is not set`);
      const encoded = encode(value);
      parts.push(() => encoded);
    } else if (MESSAGE_FIELDS.includes(name)) {
      parts.push((message) => encode(fieldOf(message, name)));
    } else {
      throw fail(`unknown placeholder {${name}} (expected ${MESSAGE_FIELDS.join(', ')} or env.NAME)`);
    }
  }
  parts.push(source.slice(last));
  return (message) => parts.map((part) => (typeof part === 'string' ? part : part(message))).join('');
}

function fieldOf(message: OutboundMessage, name: string): string {
  if (name === 'toDigits') return message.to.replace(/\D/g, '');
  if (name === 'spoken') return message.spoken ?? message.text;
  const value = message[name as keyof OutboundMessage];
  return value === undefined ? '' : String(value);
}

/** Compiles every string inside a JSON-like value, keeping its shape. */
export function compileJsonTemplate(
  value: unknown,
  origin: TemplateOrigin,
): (message: OutboundMessage) => unknown {
  if (typeof value === 'string') return compileTemplate(value, origin);
  if (Array.isArray(value)) {
    const items = value.map((item, i) =>
      compileJsonTemplate(item, { ...origin, setting: `${origin.setting}.${i}` }),
    );
    return (message) => items.map((item) => item(message));
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).map(
      ([key, item]) =>
        [key, compileJsonTemplate(item, { ...origin, setting: `${origin.setting}.${key}` })] as const,
    );
    return (message) => Object.fromEntries(entries.map(([key, item]) => [key, item(message)]));
  }
  return () => value;
}
