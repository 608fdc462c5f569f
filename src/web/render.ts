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
  /** Current path and query without `lang`, for the language switcher links. */
  switchBase: string;
}

/**
 * Renders `views/<view>.ejs` for a request, in the request's language. Templates escape
 * everything they print with `<%=`, so no translated or user-supplied text is trusted as HTML.
 */
export function createPageRenderer(
  viewsDir: string,
  translations: Translations,
  cache: boolean,
): PageRenderer {
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
      switchBase: switchBase(
        (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url ?? '/',
      ),
    };
    return ejs.renderFile(path.join(viewsDir, `${view}.ejs`), { ...pageLocals, ...locals }, { cache });
  };
}

/**
 * A language's translate function that looks a key up once: translations are loaded at start
 * and never change, and a page asks for dozens of keys on every render (the language switcher
 * alone names every language in its own language, `{ lng }`). Calls with other options
 * (interpolation, plurals) go to i18next each time.
 */
function memoizedPlainKeys(t: TFunction): TFunction {
  const known = new Map<string, string>();
  const memoized = (key: unknown, ...rest: unknown[]) => {
    const lng = languageOnly(rest);
    if (typeof key !== 'string' || lng === null)
      return (t as unknown as (...args: unknown[]) => unknown)(key, ...rest);
    const cacheKey = lng === undefined ? key : `${lng}\u0000${key}`;
    const cached = known.get(cacheKey);
    if (cached !== undefined) return cached;
    const text: unknown = lng === undefined ? t(key) : t(key, { lng });
    if (typeof text === 'string') known.set(cacheKey, text);
    return text;
  };
  return memoized as unknown as TFunction;
}

/** The `lng` of options that hold nothing else; undefined without options; null for any other options. */
function languageOnly(rest: unknown[]): string | undefined | null {
  if (rest.length === 0) return undefined;
  const [options] = rest;
  if (rest.length > 1 || typeof options !== 'object' || options === null) return null;
  const keys = Object.keys(options);
  const lng = (options as { lng?: unknown }).lng;
  return keys.length === 1 && typeof lng === 'string' ? lng : null;
}

function switchBase(url: string): string {
  const parsed = new URL(url, 'http://x');
  parsed.searchParams.delete('lang');
  parsed.searchParams.set('lang', '');
  return `${parsed.pathname}${parsed.search}`;
}
