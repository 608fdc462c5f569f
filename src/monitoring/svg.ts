/** Text made safe for SVG/XML content and attribute values. */
export function xmlEscape(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const ENGLISH_NUMBERS = new Intl.NumberFormat('en');

/**
 * A count with English digit grouping ("12,345"): one shared formatter, since
 * `Number.prototype.toLocaleString` builds a new one on every call (about 20 µs each, hundreds
 * per map and chart).
 */
export function formatCount(count: number): string {
  return ENGLISH_NUMBERS.format(count);
}
