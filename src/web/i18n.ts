import { existsSync, readdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import i18next, { type i18n } from 'i18next';
import { LanguageDetector } from 'i18next-http-middleware';

/** A BCP 47-looking tag: what a detected value must be before it is compared with anything. */
const LANGUAGE_TAG = /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$/;

/** Cookie that remembers the language picked with the switcher (`?lang=`). */
export const LANGUAGE_COOKIE = 'passgate_lang';

/** The loaded translations and the languages they cover. */
export interface Translations {
  i18n: i18n;
  /** Language codes with a folder under `locales/`, sorted. */
  languages: string[];
  defaultLanguage: string;
  /**
   * Each language's name in that language (`common:languageName`), for the language switcher:
   * read once, on first use (the server's warm-up), from each language's common.json alone, so
   * that the switcher on the first page does not load every language's texts.
   */
  languageNames(): Readonly<Record<string, string>>;
  /**
   * The language of a request: `?lang=`, then the switcher's cookie, then Accept-Language, then
   * the user's own language from the directory (when the user is known), then the default.
   */
  detect(req: IncomingMessage, preferred?: string | null): string;
}

/**
 * Loads the languages under `localesDir` (`<language>/<namespace>.json`) into a private i18next
 * instance: the default one at once, each other one on its first use (read synchronously, so
 * every `t` stays synchronous and the first page in a language is already in it). Values are
 * not escaped here: ejs escapes them on output.
 */
export async function loadTranslations(localesDir: string, defaultLanguage: string): Promise<Translations> {
  const languages = readdirSync(localesDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  const namespaces = readdirSync(path.join(localesDir, defaultLanguage))
    .filter((name) => name.endsWith('.json'))
    .map((name) => name.slice(0, -'.json'.length));
  const readLanguage = (language: string) => {
    for (const namespace of namespaces) {
      const file = path.join(localesDir, language, `${namespace}.json`);
      // A language has a namespace's whole file or none: without it, the default language answers.
      if (existsSync(file))
        instance.addResourceBundle(language, namespace, JSON.parse(readFileSync(file, 'utf8')), true, true);
    }
  };
  const instance = i18next.createInstance();
  await instance.use(LanguageDetector).init({
    initAsync: false,
    supportedLngs: languages,
    fallbackLng: defaultLanguage,
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
  // Read here as every other language is on first use (no loader plug-in: its YAML, JSON5 and
  // JSONC parsers were 200 KB of start-up code for files that are all plain JSON).
  readLanguage(defaultLanguage);
  lazyLanguages(instance, languages, readLanguage);
  const detector = instance.services.languageDetector as unknown as {
    detectors: Record<string, { lookup(req: IncomingMessage, res: object, options: object): unknown }>;
    options: { order: string[]; convertDetectedLanguage: (language: string) => string };
  };
  /** The first language the request names that we have (exact, else its base language). */
  const named = (req: IncomingMessage): string | undefined => {
    for (const name of detector.options.order) {
      const found =
        name === 'querystring'
          ? queryLanguage(req)
          : detector.detectors[name]?.lookup(req, {}, detector.options);
      for (const raw of [found].flat()) {
        if (typeof raw !== 'string' || !LANGUAGE_TAG.test(raw)) continue;
        const code = detector.options.convertDetectedLanguage(raw);
        const base = code.split('-')[0]!.toLowerCase();
        if (languages.includes(code)) return code;
        if (languages.includes(base)) return base;
      }
    }
    return undefined;
  };
  const detect = (req: IncomingMessage, preferred?: string | null) => {
    // AD's preferredLanguage: "de-DE", "de" ... the first two letters decide.
    const own = preferred?.slice(0, 2).toLowerCase();
    return named(req) ?? (own && languages.includes(own) ? own : defaultLanguage);
  };
  let names: Record<string, string> | undefined;
  const languageNames = () => {
    names ??= Object.fromEntries(languages.map((language) => [language, languageName(localesDir, language)]));
    return names;
  };
  return { i18n: instance, languages, defaultLanguage, languageNames, detect };
}

/** `common:languageName` of one language, read from its common.json; its code when the file has none. */
function languageName(localesDir: string, language: string): string {
  const file = path.join(localesDir, language, 'common.json');
  if (!existsSync(file)) return language;
  const name = (JSON.parse(readFileSync(file, 'utf8')) as { languageName?: unknown }).languageName;
  return typeof name === 'string' && name.length > 0 ? name : language;
}

/**
 * Makes every way of asking `instance` for a language's text (`t`, `getFixedT`, `exists`) load
 * that language first, once: start-up reads one language instead of all of them.
 */
function lazyLanguages(instance: i18n, languages: string[], load: (language: string) => void): void {
  const loaded = new Set<string>();
  const ensure = (language: unknown) => {
    // A regional tag (de-DE) falls back to its base language, which must be there too.
    const asked = [language]
      .flat()
      .flatMap((one) => (typeof one === 'string' ? [one, one.split('-')[0]!] : []));
    for (const one of asked) {
      if (loaded.has(one) || !languages.includes(one)) continue;
      loaded.add(one);
      if (!instance.hasResourceBundle(one, instance.options.defaultNS as string)) load(one);
    }
  };
  const languageOf = (options: unknown) =>
    typeof options === 'object' && options !== null ? (options as { lng?: unknown }).lng : undefined;
  const { t, getFixedT, exists } = instance;
  instance.t = ((...args: Parameters<i18n['t']>) => {
    ensure(languageOf(args[1]) ?? languageOf(args[2]));
    return (t as unknown as (...a: unknown[]) => unknown).apply(instance, args);
  }) as i18n['t'];
  instance.getFixedT = ((...args: Parameters<i18n['getFixedT']>) => {
    ensure(args[0]);
    return getFixedT.apply(instance, args);
  }) as i18n['getFixedT'];
  instance.exists = ((...args: Parameters<i18n['exists']>) => {
    ensure(languageOf(args[1]));
    return exists.apply(instance, args);
  }) as i18n['exists'];
}

/**
 * Remembers a language picked with the switcher: a valid `?lang=` sets the cookie that later
 * pages are detected from. Detection itself happens when a page is rendered (see render.ts),
 * so requests that render nothing (redirects, APIs) pay nothing for it.
 */
export function rememberLanguage({ languages }: Translations, secureCookies: boolean): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const requested = queryLanguage(req);
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

/** The first `lang=` of a query, found without parsing the rest (a SAML request's query is kilobytes). */
const LANG_PARAMETER = /[?&]lang=([^&#]*)/;

/**
 * The `?lang=` a request names, or undefined: read from its URL alone, as express 5 parses the
 * whole query again on every `req.query` access and the language is asked for on every page.
 */
export function queryLanguage(req: IncomingMessage & { originalUrl?: string }): string | undefined {
  const raw = LANG_PARAMETER.exec(req.originalUrl ?? req.url ?? '')?.[1];
  if (!raw) return undefined;
  try {
    return decodeURIComponent(raw.replaceAll('+', ' '));
  } catch {
    return undefined;
  }
}
