import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { DOMParser } from '@xmldom/xmldom';
import { describe, expect, it } from 'vitest';
import { countryName, isCountryCode } from '../../src/geo/countries.js';
import { CLASS_FILLS, CountScale, lightness, NO_ATTEMPTS_FILL } from '../../src/monitoring/colour-scale.js';
import { ALPHA2_OF_NUMERIC } from '../../src/monitoring/country-numbers.js';
import { WorldMap } from '../../src/monitoring/world-map.js';

/** world-atlas's countries: numeric id and name. */
const atlas = (
  JSON.parse(
    readFileSync(createRequire(import.meta.url).resolve('world-atlas/countries-110m.json'), 'utf8'),
  ) as { objects: { countries: { geometries: Array<{ id?: string; properties: { name: string } }> } } }
).objects.countries.geometries;

/** Where Natural Earth's short names and countries-list's names differ for the same country. */
const SAME_COUNTRY: Record<string, string> = {
  'W. Sahara': 'Western Sahara',
  'United States of America': 'United States',
  'Dem. Rep. Congo': 'Democratic Republic of the Congo',
  'Dominican Rep.': 'Dominican Republic',
  'Falkland Is.': 'Falkland Islands',
  'Fr. S. Antarctic Lands': 'French Southern Territories',
  'Timor-Leste': 'East Timor',
  "Côte d'Ivoire": 'Ivory Coast',
  'Central African Rep.': 'Central African Republic',
  Congo: 'Republic of the Congo',
  'Eq. Guinea': 'Equatorial Guinea',
  Turkey: 'Türkiye',
  'Solomon Is.': 'Solomon Islands',
  'Bosnia and Herz.': 'Bosnia and Herzegovina',
  Macedonia: 'North Macedonia',
  'S. Sudan': 'South Sudan',
};

const normal = (name: string) =>
  name
    .toLowerCase()
    .normalize('NFD')
    .replace(/[^a-z]/g, '');

const map = new WorldMap();
const counts = new Map([
  ['NL', 12],
  ['US', 3],
  ['JP', 1],
  ['BR', 250],
]);
const svg = map.render({
  counts,
  marked: new Set(['BR']),
  href: (code) => `/admin/monitoring?country=${code}&x=<1>`,
});
const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
const links = () => Array.from(doc.getElementsByTagName('a'));
const linkOf = (code: string) => links().find((a) => a.getAttribute('data-country') === code);
const fillOf = (code: string) => linkOf(code)?.getElementsByTagName('path')[0]?.getAttribute('fill');

describe('the ISO numeric → alpha-2 table of the map', () => {
  it('names every numbered country of world-atlas, each with a distinct code of the address lookup and the same country name in both sources', () => {
    const numbered = atlas.filter((g) => g.id !== undefined);
    expect(numbered.length).toBeGreaterThan(170);
    for (const g of numbered) {
      const code = ALPHA2_OF_NUMERIC[g.id!];
      expect(code, g.properties.name).toBeDefined();
      expect(isCountryCode(code!), code).toBe(true);
      expect(normal(countryName(code!)!), g.properties.name).toBe(
        normal(SAME_COUNTRY[g.properties.name] ?? g.properties.name),
      );
    }
    const codes = numbered.map((g) => ALPHA2_OF_NUMERIC[g.id!]);
    expect(new Set(codes).size).toBe(codes.length);
    expect(Object.keys(ALPHA2_OF_NUMERIC)).toHaveLength(numbered.length);
  });
});

describe('the colour scale', () => {
  it('gets darker with every class, so that it reads in greyscale (CIE lightness strictly falls)', () => {
    const fills = [NO_ATTEMPTS_FILL, ...CLASS_FILLS];
    const l = fills.map(lightness);
    for (let k = 1; k < l.length; k++) expect(l[k]!, fills[k]).toBeLessThan(l[k - 1]! - 5);
  });

  it('splits the counts into contiguous classes from 1 to the largest, never a darker fill for fewer attempts', () => {
    for (const max of [1, 2, 7, 250, 1_000_000]) {
      const scale = new CountScale(max);
      expect(scale.classes[0]!.from).toBe(1);
      expect(scale.classes.at(-1)!.to).toBe(max);
      scale.classes.forEach((c, k) => {
        expect(c.to).toBeGreaterThanOrEqual(c.from);
        if (k > 0) expect(c.from).toBe(scale.classes[k - 1]!.to + 1);
      });
      let previous = 101;
      for (const n of [0, 1, 2, 3, 10, 100, 1000, max].filter((n) => n <= max)) {
        const l = lightness(scale.fill(n));
        expect(l).toBeLessThanOrEqual(previous);
        previous = l;
      }
    }
  });
});

describe('the world map', () => {
  it('is well-formed SVG with a title, a description and a legend, and nothing the CSP refuses (no script, no style attribute)', () => {
    expect(doc.documentElement!.tagName).toBe('svg');
    expect(doc.getElementsByTagName('title')[0]!.textContent).toBe('Sign-in attempts by country');
    expect(doc.getElementsByTagName('desc')[0]!.textContent).toContain('darker');
    expect(svg).not.toMatch(/<script|\sstyle=|\son[a-z]+=|javascript:/i);
    const legend = Array.from(doc.getElementsByTagName('text')).map((t) => t.textContent);
    expect(legend[0]).toBe('No attempts');
    expect(legend.at(-1)).toBe('First seen for a user');
    expect(legend.slice(1, -1)).toEqual(['1–2', '3–8', '9–26', '27–82', '83–250']);
  });

  it('shades exactly the countries with attempts, each a focusable link to its drill-down with the count as its title', () => {
    expect(
      links()
        .map((a) => a.getAttribute('data-country'))
        .sort(),
    ).toEqual(['BR', 'JP', 'NL', 'US']);
    const nl = linkOf('NL')!;
    expect(nl.getAttribute('tabindex')).toBe('0');
    expect(nl.getAttribute('href')).toBe('/admin/monitoring?country=NL&x=<1>');
    expect(nl.getElementsByTagName('title')[0]!.textContent).toBe('Netherlands: 12 attempts');
    expect(linkOf('JP')!.getElementsByTagName('title')[0]!.textContent).toBe('Japan: 1 attempt');
    const order = ['BR', 'NL', 'US', 'JP'].map((code) => lightness(fillOf(code)!));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(fillOf('BR')).toBe(CLASS_FILLS.at(-1));
    const empty = Array.from(doc.getElementsByTagName('g')).filter(
      (g) => g.getAttribute('class') === 'country-empty',
    );
    expect(empty.length).toBeGreaterThan(150);
    expect(
      empty.every((g) => g.getElementsByTagName('path')[0]!.getAttribute('fill') === NO_ATTEMPTS_FILL),
    ).toBe(true);
    expect(empty.some((g) => g.getElementsByTagName('title')[0]!.textContent === 'Germany: 0 attempts')).toBe(
      true,
    );
  });

  it('hatches and outlines the countries marked as first seen for a user', () => {
    const marked = Array.from(doc.getElementsByTagName('path')).filter(
      (p) => p.getAttribute('class') === 'marked',
    );
    expect(marked).toHaveLength(1);
    expect(marked[0]!.getAttribute('d')).toBe(
      linkOf('BR')!.getElementsByTagName('path')[0]!.getAttribute('d'),
    );
    expect(marked[0]!.getAttribute('fill')).toBe('url(#world-map-first-seen)');
  });

  it('projects the countries once per instance: later maps reuse the outlines', () => {
    const first = map.countries();
    const started = performance.now();
    for (let n = 0; n < 20; n++) map.render({ counts, href: (code) => `#${code}` });
    const perMap = (performance.now() - started) / 20;
    expect(map.countries()).toBe(first);
    expect(perMap).toBeLessThan(50);
    expect(first.find((c) => c.code === 'XK')?.name).toBe('Kosovo');
    expect(first.some((c) => c.code === 'AQ')).toBe(false);
  });
});
