/**
 * Formats dates and countries in a page's language (times in UTC: the server knows no zone), one
 * way for every site that shows when and from where (self-service sessions, devices).
 */
export function formatters(language: string) {
  const dates = new Intl.DateTimeFormat(language, {
    dateStyle: 'medium',
    timeStyle: 'short',
    timeZone: 'UTC',
  });
  const regions = new Intl.DisplayNames([language], { type: 'region', fallback: 'code' });
  return {
    date: (at: number) => `${dates.format(new Date(at))} UTC`,
    country: (code: string) => regions.of(code) ?? code,
  };
}
