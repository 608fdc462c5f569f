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
  return async (req: IncomingMessage, view: string, locals: Record<string, unknown>) => {
    const lang = translations.detect(req);
    const pageLocals: PageLocals = {
      t: translations.i18n.getFixedT(lang),
      lang,
      languages: translations.languages,
      switchBase: switchBase(
        (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url ?? '/',
      ),
    };
    return ejs.renderFile(path.join(viewsDir, `${view}.ejs`), { ...pageLocals, ...locals }, { cache });
  };
}

function switchBase(url: string): string {
  const parsed = new URL(url, 'http://x');
  parsed.searchParams.delete('lang');
  parsed.searchParams.set('lang', '');
  return `${parsed.pathname}${parsed.search}`;
}
