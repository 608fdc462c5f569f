import { formatCount, xmlEscape } from './svg.js';

const DAY = 86_400_000;
const WIDTH = 960;
const HEIGHT = 300;
const LEFT = 56;
const RIGHT = 12;
const TOP = 12;
const BOTTOM = 56;

/** Okabe–Ito's colour-blind-safe palette, one colour per series in order (then repeated). */
export const SERIES_FILLS: readonly string[] = [
  '#009e73',
  '#e69f00',
  '#d55e00',
  '#56b4e9',
  '#cc79a7',
  '#0072b2',
  '#f0e442',
  '#999999',
  '#000000',
];

/** What one chart shows: counts per UTC day and series (a result), over a period. */
export interface AttemptsChartData {
  /** Counts by day (the UTC midnight it starts at) and series key. */
  rows: ReadonlyArray<{ day: number; result: string; count: number }>;
  /** The period's first and last day (any time in them). */
  from: number;
  to: number;
  /** The series in stacking order, with their labels (translated by the page). */
  series: ReadonlyArray<{ key: string; label: string }>;
  title: string;
  description: string;
  /** Header of the table's first column ("Day"). */
  dayHeader?: string;
  idPrefix?: string;
}

/** The chart as SVG and the same figures as an HTML table, its fallback for screen readers and printing. */
export interface RenderedChart {
  svg: string;
  table: string;
}

/**
 * Attempts over time by result as stacked daily bars, drawn on the server: a title and
 * description, a `<title>` per bar segment (day, result, count), a y axis with round ticks and a
 * legend; fills are presentation attributes (the site's CSP allows no style attribute). The table
 * carries every number the chart shows.
 */
export function renderAttemptsChart(data: AttemptsChartData): RenderedChart {
  const first = Math.floor(data.from / DAY) * DAY;
  const days = Math.max(1, Math.floor(data.to / DAY) - Math.floor(data.from / DAY) + 1);
  const byDay = new Map<number, Map<string, number>>();
  for (const row of data.rows) {
    const day = Math.floor(row.day / DAY) * DAY;
    const counts = byDay.get(day) ?? new Map<string, number>();
    counts.set(row.result, (counts.get(row.result) ?? 0) + row.count);
    byDay.set(day, counts);
  }
  const totals = Array.from({ length: days }, (_, i) =>
    [...(byDay.get(first + i * DAY)?.values() ?? [])].reduce((a, b) => a + b, 0),
  );
  const top = niceCeiling(Math.max(1, ...totals));
  const plotWidth = WIDTH - LEFT - RIGHT;
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const slot = plotWidth / days;
  const barWidth = Math.max(1, slot * 0.8);
  const y = (value: number) => TOP + plotHeight - (value / top) * plotHeight;
  const id = (name: string) => `${data.idPrefix ?? 'attempts-chart'}-${name}`;
  const fill = (index: number) => SERIES_FILLS[index % SERIES_FILLS.length]!;

  const bars: string[] = [];
  for (let i = 0; i < days; i++) {
    const day = first + i * DAY;
    const counts = byDay.get(day);
    if (!counts) continue;
    let stacked = 0;
    data.series.forEach((series, index) => {
      const count = counts.get(series.key) ?? 0;
      if (count === 0) return;
      const x = LEFT + i * slot + (slot - barWidth) / 2;
      const y1 = y(stacked + count);
      const height = y(stacked) - y1;
      stacked += count;
      bars.push(
        `<rect x="${x.toFixed(1)}" y="${y1.toFixed(1)}" width="${barWidth.toFixed(1)}" height="${height.toFixed(1)}" fill="${fill(index)}"><title>${xmlEscape(`${isoDay(day)}: ${series.label} ${formatCount(count)}`)}</title></rect>`,
      );
    });
  }
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => top * f);
  const axis = ticks
    .map(
      (value) =>
        `<line x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${y(value).toFixed(1)}" y2="${y(value).toFixed(1)}" stroke="#dddddd" stroke-width="1"/><text x="${LEFT - 6}" y="${(y(value) + 4).toFixed(1)}" text-anchor="end" font-size="11" fill="#444444">${formatCount(value)}</text>`,
    )
    .join('');
  const labelEvery = Math.max(1, Math.ceil(days / 10));
  const dayLabels = Array.from({ length: days }, (_, i) => i)
    .filter((i) => i % labelEvery === 0)
    .map(
      (i) =>
        `<text x="${(LEFT + i * slot + slot / 2).toFixed(1)}" y="${HEIGHT - BOTTOM + 16}" text-anchor="middle" font-size="11" fill="#444444">${isoDay(first + i * DAY).slice(5)}</text>`,
    )
    .join('');
  let x = LEFT;
  const legend = data.series
    .map((series, index) => {
      const item = `<rect x="${x}" y="${HEIGHT - 22}" width="12" height="12" fill="${fill(index)}"/><text x="${x + 16}" y="${HEIGHT - 12}" font-size="11" fill="#222222">${xmlEscape(series.label)}</text>`;
      x += 28 + series.label.length * 6.5;
      return item;
    })
    .join('');
  const svg = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="attempts-chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-labelledby="${id('title')} ${id('desc')}">`,
    `<title id="${id('title')}">${xmlEscape(data.title)}</title>`,
    `<desc id="${id('desc')}">${xmlEscape(data.description)}</desc>`,
    `<g class="axis">${axis}${dayLabels}</g>`,
    `<g class="bars">${bars.join('')}</g>`,
    `<g class="legend">${legend}</g>`,
    '</svg>',
  ].join('\n');
  return { svg, table: table(data, first, days, byDay) };
}

/** The chart's figures as an HTML table: a row per day with attempts, a column per series. */
function table(
  data: AttemptsChartData,
  first: number,
  days: number,
  byDay: Map<number, Map<string, number>>,
): string {
  const head = [data.dayHeader ?? 'Day', ...data.series.map((s) => s.label)]
    .map((h) => `<th scope="col">${xmlEscape(h)}</th>`)
    .join('');
  const rows: string[] = [];
  for (let i = 0; i < days; i++) {
    const counts = byDay.get(first + i * DAY);
    if (!counts) continue;
    const cells = data.series.map((s) => `<td>${formatCount(counts.get(s.key) ?? 0)}</td>`).join('');
    rows.push(`<tr><th scope="row">${isoDay(first + i * DAY)}</th>${cells}</tr>`);
  }
  return `<table class="attempts-chart-data"><caption>${xmlEscape(data.title)}</caption><thead><tr>${head}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** 1, 2 or 5 times a power of ten, at least `value`: the top of the y axis. */
function niceCeiling(value: number): number {
  const power = 10 ** Math.floor(Math.log10(value));
  return ([1, 2, 5, 10].map((m) => m * power).find((m) => m >= value) ?? 10 * power) as number;
}

function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
