import { DOMParser } from '@xmldom/xmldom';
import { describe, expect, it } from 'vitest';
import { renderAttemptsChart, SERIES_FILLS } from '../../src/monitoring/attempts-chart.js';

const DAY = 86_400_000;
const FIRST = Date.UTC(2026, 10, 1);
const rows = [
  { day: FIRST, result: 'success', count: 40 },
  { day: FIRST, result: 'wrong_password', count: 7 },
  { day: FIRST + 2 * DAY, result: 'success', count: 12 },
  { day: FIRST + 2 * DAY, result: 'denied', count: 3 },
  { day: FIRST + 6 * DAY, result: 'wrong_password', count: 1 },
];
const series = [
  { key: 'success', label: 'Success' },
  { key: 'wrong_password', label: 'Wrong password' },
  { key: 'denied', label: 'Denied by rule' },
];
const chart = renderAttemptsChart({
  rows,
  from: FIRST + 5 * 3_600_000,
  to: FIRST + 6 * DAY + 1,
  series,
  title: 'Attempts per day by result',
  description: 'Stacked bars, one per day.',
});
const svg = new DOMParser().parseFromString(chart.svg, 'image/svg+xml');
const html = new DOMParser().parseFromString(chart.table, 'text/html');

describe('the chart of attempts over time', () => {
  it('is well-formed SVG with a title and a description, and no script or style attribute', () => {
    expect(svg.documentElement!.getAttribute('role')).toBe('img');
    expect(svg.getElementsByTagName('title')[0]!.textContent).toBe('Attempts per day by result');
    expect(svg.getElementsByTagName('desc')[0]!.textContent).toBe('Stacked bars, one per day.');
    expect(chart.svg).not.toMatch(/<script|\sstyle=|\son[a-z]+=/i);
  });

  it('stacks one segment per day and result, titled with its count, as tall as its share of the axis', () => {
    const segments = Array.from(svg.getElementsByTagName('rect')).filter(
      (r) => r.getElementsByTagName('title').length,
    );
    expect(segments.map((r) => r.getElementsByTagName('title')[0]!.textContent)).toEqual([
      '2026-11-01: Success 40',
      '2026-11-01: Wrong password 7',
      '2026-11-03: Success 12',
      '2026-11-03: Denied by rule 3',
      '2026-11-07: Wrong password 1',
    ]);
    const height = (i: number) => Number(segments[i]!.getAttribute('height'));
    expect(height(0) / height(2)).toBeCloseTo(40 / 12, 1);
    // Stacked: the second segment of a day sits on the first.
    expect(Number(segments[1]!.getAttribute('y')) + height(1)).toBeCloseTo(
      Number(segments[0]!.getAttribute('y')),
      0,
    );
    expect(segments[0]!.getAttribute('fill')).toBe(SERIES_FILLS[0]);
    expect(segments[3]!.getAttribute('fill')).toBe(SERIES_FILLS[2]);
    const ticks = Array.from(svg.getElementsByTagName('text')).map((t) => t.textContent);
    expect(ticks).toEqual(expect.arrayContaining(['0', '50', 'Success', 'Wrong password', 'Denied by rule']));
  });

  it('gives the same figures as a table: a row per day with attempts, a column per result', () => {
    const cells = Array.from(html.getElementsByTagName('tr')).map((tr) =>
      Array.from(tr.childNodes as unknown as Array<{ nodeType: number; textContent: string | null }>)
        .filter((n) => n.nodeType === 1)
        .map((n) => n.textContent),
    );
    expect(cells).toEqual([
      ['Day', 'Success', 'Wrong password', 'Denied by rule'],
      ['2026-11-01', '40', '7', '0'],
      ['2026-11-03', '12', '0', '3'],
      ['2026-11-07', '0', '1', '0'],
    ]);
    expect(html.getElementsByTagName('caption')[0]!.textContent).toBe('Attempts per day by result');
  });
});
