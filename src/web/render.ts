import { readdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import ejs from 'ejs';
import type { TFunction } from 'i18next';
import type { Translations } from './i18n.js';

/** Renders one of Passgate's pages to HTML for a request (localised by the web layer). */
export type PageRenderer = (
  req: IncomingMessage,
  view: string,
  locals: Record<string, unknown>,
) => Promise<string>;

/** What every page template may use besides its own locals. */
interface PageLocals {
  t: TFunction;
  lang: string;
  languages: string[];
  /** Each language's name in itself, for the language switcher. */
  languageNames: Readonly<Record<string, string>>;
  /** Current path and query without `lang`, for the language switcher links. */
  switchBase: string;
}

/**
 * ejs options of the production renderer: templates compiled once and cached, without the
 * line-tracking code of `compileDebug` (which embeds each template's text in its compiled
 * function and counts lines on every render; a template error still names its cause in the log).
 */
const CACHED = { cache: true, compileDebug: false } as const;

/**
 * Renders `views/<view>.ejs` for a request, in the request's language. Templates escape
 * everything they print with `<%=`, so no translated or user-supplied text is trusted as HTML.
 * With `cache` (production) a template is compiled on its first use and kept; the server
 * compiles them all right after ready ({@link compileTemplates}).
 */
export function createPageRenderer(
  viewsDir: string,
  translations: Translations,
  cache: boolean,
): PageRenderer {
  const options = cache ? CACHED : { cache: false };
  const translators = new Map<string, TFunction>();
  const translatorOf = (lang: string) => {
    let t = translators.get(lang);
    if (!t) {
      t = memoizedPlainKeys(translations.i18n.getFixedT(lang));
      translators.set(lang, t);
    }
    return t;
  };
  return async (req: IncomingMessage, view: string, locals: Record<string, unknown>) => {
    const lang = translations.detect(req);
    const pageLocals: PageLocals = {
      t: translatorOf(lang),
      lang,
      languages: translations.languages,
      languageNames: translations.languageNames(),
      // A page without the language switcher (locals.languageSwitch false) needs no links.
      switchBase: locals.languageSwitch === false ? '' : languageSwitchBase(req),
    };
    return ejs.renderFile(path.join(viewsDir, `${view}.ejs`), { ...pageLocals, ...locals }, options);
  };
}

/**
 * Compiles every template of `viewsDir` not compiled yet into ejs's cache, as the production
 * renderer would on first use. The server runs it right after ready (its warm-up), not before:
 * about 50 ms of CPU off the start, and the first sign-in still costs what the following ones do.
 * A template that does not compile is left to fail where it is rendered, as before.
 */
export function compileTemplates(viewsDir: string): void {
  const files = readdirSync(viewsDir, { recursive: true, encoding: 'utf8' }).filter((f) =>
    f.endsWith('.ejs'),
  );
  for (const file of files) {
    const filename = path.join(viewsDir, file);
    if (ejs.cache.get(filename)) continue;
    try {
      const source = readFileSync(filename, 'utf8').replace(/^\uFEFF/, '');
      ejs.cache.set(filename, ejs.compile(source, { ...CACHED, filename }));
    } catch {
      // Rendering it reports the error.
    }
  }
}

/** Most translations a language keeps (interpolated values make the set open-ended). */
const MAX_MEMOIZED = 5_000;

/**
 * A language's translate function that looks each call up once: translations are loaded at start
 * and never change, and a page asks for dozens of keys on every render (the language switcher
 * alone names every language in its own language, `{ lng }`; the SAML post page interpolates the
 * application's name). Calls whose options hold anything but strings (counts, objects) go to
 * i18next each time; the memo is emptied when it grows past MAX_MEMOIZED.
 */
function memoizedPlainKeys(t: TFunction): TFunction {
  const known = new Map<string, string>();
  const translate = t as unknown as (...args: unknown[]) => unknown;
  const memoized = (key: unknown, ...rest: unknown[]) => {
    const cacheKey = typeof key === 'string' ? memoKey(key, rest) : null;
    if (cacheKey === null) return translate(key, ...rest);
    const cached = known.get(cacheKey);
    if (cached !== undefined) return cached;
    const text = translate(key, ...rest);
    if (typeof text === 'string') {
      if (known.size >= MAX_MEMOIZED) known.clear();
      known.set(cacheKey, text);
    }
    return text;
  };
  return memoized as unknown as TFunction;
}

/**
 * The memo key of a call: the key alone without options, the key and the options' entries (JSON,
 * so that no value can spell another call's key) when they are all strings (`lng`, interpolated
 * values); null for any other options.
 */
function memoKey(key: string, rest: unknown[]): string | null {
  if (rest.length === 0) return key;
  const [options] = rest;
  if (rest.length > 1 || typeof options !== 'object' || options === null) return null;
  if (Object.getPrototypeOf(options) !== Object.prototype) return null;
  const entries = Object.entries(options).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (!entries.every(([, value]) => typeof value === 'string')) return null;
  return JSON.stringify([key, entries]);
}

/** A path the URL parser would give back unchanged: no query, no dot segment, no host (`//`). */
const PLAIN_PATH = /^\/(?!\/)[\w/-]*$/;

/**
 * The base of the language switcher's links on the page answering `req`: its path and query
 * without `lang`, ending in `lang=` (the link appends the language's code).
 */
export function languageSwitchBase(req: IncomingMessage): string {
  const url = (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url ?? '/';
  // The login pages' paths (`/login/<uid>`) need no parsing: the same result, cheaper.
  if (PLAIN_PATH.test(url)) return `${url}?lang=`;
  const parsed = new URL(url, 'http://x');
  parsed.searchParams.delete('lang');
  parsed.searchParams.set('lang', '');
  return `${parsed.pathname}${parsed.search}`;
}
