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
 * A language's translate function that looks a plain key up once: translations are loaded at
 * start and never change, and a page asks for dozens of keys on every request. Calls with
 * options (interpolation, plurals) go to i18next each time.
 */
function memoizedPlainKeys(t: TFunction): TFunction {
  const known = new Map<string, string>();
  const memoized = (key: unknown, ...rest: unknown[]) => {
    if (typeof key !== 'string' || rest.length > 0)
      return (t as unknown as (...args: unknown[]) => unknown)(key, ...rest);
    const cached = known.get(key);
    if (cached !== undefined) return cached;
    const text: unknown = t(key);
    if (typeof text === 'string') known.set(key, text);
    return text;
  };
  return memoized as unknown as TFunction;
}

function switchBase(url: string): string {
  const parsed = new URL(url, 'http://x');
  parsed.searchParams.delete('lang');
  parsed.searchParams.set('lang', '');
  return `${parsed.pathname}${parsed.search}`;
}
