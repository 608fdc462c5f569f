import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { geoEqualEarth, geoPath } from 'd3-geo';
import type { FeatureCollection, Geometry } from 'geojson';
import { feature } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';
import { countryName } from '../geo/countries.js';
import { CountScale } from './colour-scale.js';
import { ALPHA2_OF_NUMERIC, ALPHA2_OF_UNNUMBERED } from './country-numbers.js';
import { formatCount, xmlEscape } from './svg.js';

const WIDTH = 960;
const HEIGHT = 470;
const LEGEND_HEIGHT = 44;

/** One country as drawn: its alpha-2 code (null for the few without one), name and projected outline. */
export interface ProjectedCountry {
  code: string | null;
  name: string;
  path: string;
}

/** What one map shows. */
export interface WorldMapData {
  /** Attempts per country (ISO 3166-1 alpha-2); countries absent have none. */
  counts: ReadonlyMap<string, number>;
  /** Countries marked as unusual: first seen there for a user involved. */
  marked?: ReadonlySet<string>;
  /** Where a country's link goes (its drill-down). */
  href: (code: string) => string;
  /** The words of the map (translated by the page; English by default). */
  text?: Partial<WorldMapText>;
  /** Prefix of the ids inside the SVG, when a page shows more than one map. */
  idPrefix?: string;
}

/** The words a map needs: its title and description, a country's tooltip and the legend. */
export interface WorldMapText {
  title: string;
  description: string;
  /** "Netherlands: 12 attempts". */
  country: (name: string, count: number) => string;
  none: string;
  marked: string;
}

const ENGLISH: WorldMapText = {
  title: 'Sign-in attempts by country',
  description:
    'World map; the darker a country, the more attempts came from it. Hatched: first seen for a user.',
  country: (name, count) => `${name}: ${formatCount(count)} ${count === 1 ? 'attempt' : 'attempts'}`,
  none: 'No attempts',
  marked: 'First seen for a user',
};

/**
 * The world map of sign-in attempts, drawn on the server as SVG from Natural Earth's 1:110m
 * countries (world-atlas, through topojson-client and d3-geo's Equal Earth projection): no tile
 * server, no script, and nothing the site's CSP refuses (fills are presentation attributes).
 * Projecting is the expensive part, so it happens once per instance: build one per process.
 */
export class WorldMap {
  private projected: readonly ProjectedCountry[] | undefined;
  /** Each country's markup without attempts and the label it was made with: most of every map, made once per label. */
  private readonly emptyShapes = new Map<ProjectedCountry, { label: string; shape: string }>();

  /** Every country's outline, projected on first use and kept. */
  countries(): readonly ProjectedCountry[] {
    this.projected ??= projectCountries();
    return this.projected;
  }

  /** The SVG of one map: a choropleth of `counts`, each country with attempts a focusable link. */
  render(data: WorldMapData): string {
    const text = { ...ENGLISH, ...data.text };
    const id = (name: string) => `${data.idPrefix ?? 'world-map'}-${name}`;
    const max = Math.max(0, ...data.counts.values());
    const scale = new CountScale(max);
    const marked = data.marked ?? new Set<string>();
    const shapes: string[] = [];
    const hatches: string[] = [];
    for (const country of this.countries()) {
      const count = (country.code && data.counts.get(country.code)) || 0;
      const label = xmlEscape(text.country(country.name, count));
      if (count > 0 && country.code) {
        const path = `<path class="country" d="${country.path}" fill="${scale.fill(count)}" stroke="#ffffff" stroke-width="0.5"/>`;
        shapes.push(
          `<a href="${xmlEscape(data.href(country.code))}" tabindex="0" class="country-link" data-country="${country.code}"><title>${label}</title>${path}</a>`,
        );
      } else {
        let empty = this.emptyShapes.get(country);
        if (empty?.label !== label) {
          const path = `<path class="country" d="${country.path}" fill="${scale.fill(0)}" stroke="#ffffff" stroke-width="0.5"/>`;
          empty = { label, shape: `<g class="country-empty"><title>${label}</title>${path}</g>` };
          this.emptyShapes.set(country, empty);
        }
        shapes.push(empty.shape);
      }
      if (country.code && count > 0 && marked.has(country.code))
        hatches.push(
          `<path class="marked" d="${country.path}" fill="url(#${id('first-seen')})" stroke="#d95f02" stroke-width="1.2" pointer-events="none"/>`,
        );
    }
    return [
      `<svg xmlns="http://www.w3.org/2000/svg" class="world-map" viewBox="0 0 ${WIDTH} ${HEIGHT + LEGEND_HEIGHT}" role="group" aria-labelledby="${id('title')} ${id('desc')}">`,
      `<title id="${id('title')}">${xmlEscape(text.title)}</title>`,
      `<desc id="${id('desc')}">${xmlEscape(text.description)}</desc>`,
      `<defs><pattern id="${id('first-seen')}" patternUnits="userSpaceOnUse" width="6" height="6" patternTransform="rotate(45)"><rect width="6" height="6" fill="none"/><line x1="0" y1="0" x2="0" y2="6" stroke="#d95f02" stroke-width="2"/></pattern></defs>`,
      `<g class="countries">${shapes.join('')}</g>`,
      `<g class="first-seen" aria-hidden="true">${hatches.join('')}</g>`,
      legend(scale, text, id('first-seen')),
      '</svg>',
    ].join('\n');
  }
}

/** The legend below the map: no attempts, each class with its range, and the mark. */
function legend(scale: CountScale, text: WorldMapText, hatch: string): string {
  const y = HEIGHT + 12;
  const items: Array<{ fill: string; label: string; stroke?: string }> = [
    { fill: '#ececec', label: text.none },
    ...scale.classes.map((c) => ({
      fill: c.fill,
      label: c.from === c.to ? formatCount(c.from) : `${formatCount(c.from)}–${formatCount(c.to)}`,
    })),
    { fill: `url(#${hatch})`, label: text.marked, stroke: '#d95f02' },
  ];
  let x = 10;
  const parts = items.map((item) => {
    const width = 26 + item.label.length * 7;
    const part = `<g class="legend-item"><rect x="${x}" y="${y}" width="18" height="14" fill="${item.fill}" stroke="${item.stroke ?? '#999999'}" stroke-width="0.8"/><text x="${x + 24}" y="${y + 11}" font-size="12" fill="#222222">${xmlEscape(item.label)}</text></g>`;
    x += width;
    return part;
  });
  return `<g class="legend">${parts.join('')}</g>`;
}

/** Reads world-atlas's countries and projects them (Equal Earth, fitted to the map; Antarctica left out). */
function projectCountries(): ProjectedCountry[] {
  const file = createRequire(import.meta.url).resolve('world-atlas/countries-110m.json');
  const topology = JSON.parse(readFileSync(file, 'utf8')) as Topology<{
    countries: GeometryCollection<{ name: string }>;
  }>;
  const collection = feature(topology, topology.objects.countries) as FeatureCollection<
    Geometry,
    { name: string }
  >;
  const features = collection.features.filter((f) => f.id !== '010');
  const projection = geoEqualEarth().fitExtent(
    [
      [4, 4],
      [WIDTH - 4, HEIGHT - 4],
    ],
    { type: 'FeatureCollection', features },
  );
  const path = geoPath(projection).digits(1);
  return features.map((f) => {
    const code =
      (typeof f.id === 'string' ? ALPHA2_OF_NUMERIC[f.id] : undefined) ??
      ALPHA2_OF_UNNUMBERED[f.properties.name] ??
      null;
    return { code, name: (code && countryName(code)) || f.properties.name, path: path(f) ?? '' };
  });
}
