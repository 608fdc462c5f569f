import { readdirSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import i18next, { type i18n } from 'i18next';
import Backend from 'i18next-fs-backend';
import { LanguageDetector } from 'i18next-http-middleware';

/** Cookie that remembers the language picked with the switcher (`?lang=`). */
export const LANGUAGE_COOKIE = 'passgate_lang';

/** The loaded translations and the languages they cover. */
export interface Translations {
  i18n: i18n;
  /** Language codes with a folder under `locales/`, sorted. */
  languages: string[];
  defaultLanguage: string;
  /** The language of a request: `?lang=`, then the switcher's cookie, then Accept-Language, then the default. */
  detect(req: IncomingMessage): string;
}

/**
 * Loads every language under `localesDir` (`<language>/<namespace>.json`) into a private
 * i18next instance. Values are not escaped here: ejs escapes them on output.
 */
export async function loadTranslations(localesDir: string, defaultLanguage: string): Promise<Translations> {
  const languages = readdirSync(localesDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  const namespaces = readdirSync(path.join(localesDir, defaultLanguage))
    .filter((name) => name.endsWith('.json'))
    .map((name) => name.slice(0, -'.json'.length));
  const instance = i18next.createInstance();
  await instance
    .use(Backend)
    .use(LanguageDetector)
    .init({
      initAsync: false,
      backend: { loadPath: path.join(localesDir, '{{lng}}/{{ns}}.json') },
      supportedLngs: languages,
      fallbackLng: defaultLanguage,
      preload: languages,
      ns: namespaces,
      defaultNS: 'common',
      fallbackNS: 'common',
      interpolation: { escapeValue: false },
      returnNull: false,
      detection: {
        order: ['querystring', 'cookie', 'header'],
        lookupQuerystring: 'lang',
        lookupCookie: LANGUAGE_COOKIE,
        caches: false,
        // Browsers set to Norwegian often send "no" or "nn" (Nynorsk): Bokmål is the nearest we have.
        convertDetectedLanguage: (language: string) => (/^(no|nn)(-|$)/i.test(language) ? 'nb' : language),
      },
    });
  const detector = instance.services.languageDetector as unknown as {
    detect(req: IncomingMessage, res: object): string | string[] | undefined;
  };
  const detect = (req: IncomingMessage) => {
    const found = detector.detect(req, {});
    const language = Array.isArray(found) ? found[0] : found;
    return language && languages.includes(language) ? language : defaultLanguage;
  };
  return { i18n: instance, languages, defaultLanguage, detect };
}

/**
 * Remembers a language picked with the switcher: a valid `?lang=` sets the cookie that later
 * pages are detected from. Detection itself happens when a page is rendered (see render.ts),
 * so requests that render nothing (redirects, APIs) pay nothing for it.
 */
export function rememberLanguage({ languages }: Translations, secureCookies: boolean): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const requested = typeof req.query.lang === 'string' ? req.query.lang : undefined;
    if (requested && languages.includes(requested)) {
      res.cookie(LANGUAGE_COOKIE, requested, {
        httpOnly: true,
        sameSite: 'lax',
        secure: secureCookies,
        maxAge: 365 * 24 * 3600 * 1000,
      });
    }
    next();
  };
}
