import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.js';

const VIEWS = path.join(PACKAGE_ROOT, 'views');

/** Every ejs template under views/, relative to it. */
function templates(folder = VIEWS): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(folder, entry.name);
    if (entry.isDirectory()) return templates(full);
    return entry.name.endsWith('.ejs') ? [path.relative(VIEWS, full)] : [];
  });
}

/** Attributes whose values users see or hear. */
const VISIBLE_ATTRIBUTES = /\s(?:alt|title|placeholder|aria-label|aria-description)="([^"]*)"/g;
/** Inputs whose `value` is their visible label (elsewhere a value is data sent with the form). */
const LABELLED_BY_VALUE = /^<input\b[^>]*\stype="(?:submit|button|reset)"/i;

/**
 * The user-visible words a template writes itself instead of taking them from locales/: text
 * between tags and visible attribute values, once every ejs tag, script, style and comment is gone.
 */
function literalText(source: string): string[] {
  const html = source
    .replace(/<%[\s\S]*?%>/g, ' ')
    .replace(/<script[\s\S]*?<\/script>/gi, ' ')
    .replace(/<style[\s\S]*?<\/style>/gi, ' ')
    .replace(/<!--[\s\S]*?-->/g, ' ');
  const words: string[] = [];
  for (const [, text] of html.matchAll(/>([^<]+)</g)) words.push(text!);
  for (const tag of html.matchAll(/<[a-z][^>]*>/gi)) {
    for (const [, value] of tag[0].matchAll(VISIBLE_ATTRIBUTES)) words.push(value!);
    if (LABELLED_BY_VALUE.test(tag[0])) words.push(/\svalue="([^"]*)"/.exec(tag[0])?.[1] ?? '');
  }
  // Letters in any script count; numbers, punctuation and symbols (•, ×, →) do not.
  return words.map((w) => w.trim()).filter((w) => /\p{L}/u.test(w));
}

describe('page templates', () => {
  const files = templates();

  it('exist (the check below looks at something)', () => {
    expect(files.length).toBeGreaterThan(5);
  });

  it.each(files)('%s takes every user-visible text from locales/', (file) => {
    expect(literalText(readFileSync(path.join(VIEWS, file), 'utf8'))).toEqual([]);
  });

  it('finds text a template writes itself', () => {
    expect(literalText('<p><%= t("x") %></p><button>Sign in</button><img alt="Logo">')).toEqual([
      'Sign in',
      'Logo',
    ]);
    expect(literalText('<input type="submit" value="Go"><input type="hidden" value="verify">')).toEqual([
      'Go',
    ]);
    expect(literalText('<button name="a" value="yes"><%= t("y") %></button><span>•• 42</span>')).toEqual([]);
  });
});
