import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.js';

/** The 17 languages the product promises. */
const LANGUAGES = [
  'cs',
  'da',
  'de',
  'en',
  'es',
  'fi',
  'fr',
  'hu',
  'it',
  'ko',
  'nb',
  'nl',
  'pl',
  'ro',
  'ru',
  'sv',
  'tr',
];

/** Values that rightly read as in English: the product name, and words these languages share. */
const SAME_AS_ENGLISH: Record<string, readonly string[]> = {
  '*': ['common:appName'],
  de: ['login:mfa.code'],
  fr: ['login:mfa.code'],
  nl: ['login:mfa.code'],
  it: ['login:password'],
};

/**
 * Namespaces written in English first (the administration site, issue 16: "English first ... so that
 * more languages can follow"): another language has the whole file or none (i18next then shows
 * the English text); a language that has it must have every key, as for the other namespaces.
 */
const ENGLISH_FIRST = new Set(['admin']);

const LOCALES = path.join(PACKAGE_ROOT, 'locales');
const PLURAL = /_(zero|one|two|few|many|other)$/;

type Value = string | string[];

/** Every value of a language as `namespace:dotted.key` → value. */
function entries(language: string): Map<string, Value> {
  const found = new Map<string, Value>();
  const walk = (prefix: string, node: Record<string, unknown>) => {
    for (const [key, value] of Object.entries(node)) {
      if (value && typeof value === 'object' && !Array.isArray(value))
        walk(`${prefix}${key}.`, value as Record<string, unknown>);
      else found.set(`${prefix}${key}`, value as Value);
    }
  };
  for (const file of readdirSync(path.join(LOCALES, language))) {
    walk(
      `${file.replace(/\.json$/, '')}:`,
      JSON.parse(readFileSync(path.join(LOCALES, language, file), 'utf8')),
    );
  }
  return found;
}

const placeholders = (value: Value) =>
  [...new Set([value].flat().flatMap((text) => text.match(/\{\{\s*\w+\s*\}\}/g) ?? []))].sort();

const english = entries('en');
const baseKeys = [...new Set([...english.keys()].map((k) => k.replace(PLURAL, '')))];
const pluralKeys = new Set(
  [...english.keys()].filter((k) => PLURAL.test(k)).map((k) => k.replace(PLURAL, '')),
);

describe('translations', () => {
  it('cover exactly the 17 promised languages', () => {
    const present = readdirSync(LOCALES, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
    expect(present).toEqual(LANGUAGES);
  });

  describe.each(LANGUAGES.filter((l) => l !== 'en'))('%s', (language) => {
    const translated = entries(language);
    const categories = new Intl.PluralRules(language).resolvedOptions().pluralCategories;

    it('has every key of English, with the plural forms of the language, and no other key', () => {
      const namespaces = new Set(
        readdirSync(path.join(LOCALES, language)).map((f) => f.replace(/\.json$/, '')),
      );
      const required = (key: string) => {
        const namespace = key.slice(0, key.indexOf(':'));
        return !ENGLISH_FIRST.has(namespace) || namespaces.has(namespace);
      };
      const expected = baseKeys
        .filter(required)
        .flatMap((key) => (pluralKeys.has(key) ? categories.map((c) => `${key}_${c}`) : [key]));
      expect([...translated.keys()].sort()).toEqual(expected.sort());
    });

    it('keeps every placeholder of the English text', () => {
      const wrong = [...translated].filter(([key, value]) => {
        const source = english.get(key) ?? english.get(key.replace(PLURAL, '_other'));
        return source !== undefined && placeholders(source).join() !== placeholders(value).join();
      });
      expect(wrong.map(([key]) => key)).toEqual([]);
    });

    it('translates every text instead of copying the English one', () => {
      const allowed = new Set([...(SAME_AS_ENGLISH['*'] ?? []), ...(SAME_AS_ENGLISH[language] ?? [])]);
      const copied = [...translated].filter(
        ([key, value]) => !allowed.has(key) && JSON.stringify(value) === JSON.stringify(english.get(key)),
      );
      expect(copied.map(([key]) => key)).toEqual([]);
    });

    it('has ten digit words for voice passcodes and its own language name', () => {
      const digits = translated.get('messages:passcode.digits');
      expect(Array.isArray(digits) && digits.length === 10 && digits.every((d) => d.trim() !== '')).toBe(
        true,
      );
      expect(translated.get('common:languageName')).not.toBe(english.get('common:languageName'));
    });
  });
});
