import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvField, csvRecord } from '../../src/doors/admin/grid/csv.js';
import type { PolicyServer } from '../policy/support.js';
import { BACKENDS } from '../support/databases.js';
import { AdminBrowser, startAdminServer } from './support.js';

/** The `data-key` (event id) of each row of the grid. */
const rowKeys = (body: string) => [...body.matchAll(/<tr data-key="([^"]+)"/g)].map((m) => m[1]!);

/** Parses CSV as RFC 4180 says (quoted fields, doubled quotes, CRLF). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  const endField = () => {
    row.push(field);
    field = '';
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted && c === '"' && text[i + 1] === '"') {
      field += '"';
      i++;
    } else if (c === '"') {
      quoted = !quoted;
    } else if (!quoted && c === ',') {
      endField();
    } else if (!quoted && c === '\r' && text[i + 1] === '\n') {
      endField();
      rows.push(row);
      row = [];
      i++;
    } else {
      field += c;
    }
  }
  return rows;
}

describe('CSV fields', () => {
  it('quotes what needs it and defuses formulas', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    for (const start of ['=', '+', '-', '@', '\t', '\r'])
      expect(
        csvField(`${start}1+1`).startsWith(`'${start}`) || csvField(`${start}1+1`).startsWith(`"'${start}`),
      ).toBe(true);
    expect(csvField('=HYPERLINK("http://x","y")')).toBe('"\'=HYPERLINK(""http://x"",""y"")"');
    expect(csvRecord(['a', '=1'])).toBe("a,'=1\r\n");
  });
});

describe.each(BACKENDS)('the audit log grid (%s)', (backend) => {
  let server: PolicyServer;
  let admin: AdminBrowser;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    server = await startAdminServer({ backend });
    admin = new AdminBrowser(server);
    await admin.signIn('ada');
    const audit = server.core.audit;
    // Sixty sign-in failures of one user, two days ago; then events the filters must tell apart.
    server.clock.advance(-2 * 86_400_000);
    for (let i = 0; i < 60; i++)
      await audit.record({ type: 'login', outcome: 'failure', username: 'bulk', address: `10.0.0.${i}` });
    server.clock.advance(2 * 86_400_000);
    await audit.record({
      type: 'login',
      outcome: 'denied',
      username: "=cmd|' /C calc'!A0",
      reason: 'said "no", twice\nreally',
      address: '@evil',
    });
    await audit.record({ type: 'loginx', outcome: 'success', username: 'near_miss' });
    await audit.record({
      type: 'admin.user.disable',
      outcome: 'success',
      username: 'carol',
      details: { admin: 'Ada' },
    });
    await audit.record({
      type: 'admin.user.enable',
      outcome: 'success',
      username: 'carol',
      details: { admin: 'a%a' },
    });
    for (const e of await audit.recent({ limit: 10 })) ids[`${e.type}:${e.username}`] = e.id;
  }, 120_000);
  afterAll(() => server?.close());

  const grid = async (query: string) => {
    await admin.open(`/admin/audit?${query}`);
    expect(admin.page.status).toBe(200);
    return rowKeys(admin.page.body);
  };

  it('filters by event type (a family too), outcome, user and administrator', async () => {
    // Recorded within the same millisecond: their order is the ids', so compare as sets.
    expect((await grid('type=admin.user')).sort()).toEqual(
      [ids['admin.user.enable:carol'], ids['admin.user.disable:carol']].sort(),
    );
    expect(await grid('type=admin.use')).toEqual([]);
    expect(await grid('type=admin')).toContain(ids['admin.user.disable:carol']);
    expect(await grid('type=admin.user.disable')).toEqual([ids['admin.user.disable:carol']]);
    expect(await grid('type=login&outcome=denied')).toHaveLength(1);
    expect(await grid('user=NEAR_MISS')).toEqual([ids['loginx:near_miss']]);
    expect(await grid('admin=ada')).toEqual([ids['admin.user.disable:carol']]);
    // LIKE's wildcards in the administrator's name are literal.
    expect(await grid('admin=a%25a')).toEqual([ids['admin.user.enable:carol']]);
    expect(await grid('admin=a_a')).toEqual([]);
  });

  it('filters by period: the default week, a day, and from/to days', async () => {
    const week = await grid('type=login&outcome=failure');
    expect(week).toHaveLength(50); // a page of 50, of 60
    expect(admin.page.body).toContain('60 rows');
    expect(await grid('type=login&outcome=failure&period=24h')).toEqual([]);
    const day = new Date(server.clock() - 2 * 86_400_000).toISOString().slice(0, 10);
    await grid(`type=login&outcome=failure&period=1h&from=${day}&to=${day}`);
    expect(admin.page.body).toContain('60 rows');
  });

  it('pages and sorts on the server', async () => {
    const first = await grid('type=login&outcome=failure&size=25&sort=address&dir=asc');
    expect(first).toHaveLength(25);
    expect(admin.page.body).toContain('page 1 of 3');
    const next = /<a href="([^"]+)" rel="next" id="audit-next">/
      .exec(admin.page.body)![1]!
      .replace(/&amp;/g, '&');
    expect(next).toContain('page=2');
    await admin.open(next);
    const second = rowKeys(admin.page.body);
    expect(second).toHaveLength(25);
    expect(second.filter((id) => first.includes(id))).toEqual([]);
    // Sorted by address ascending as text: 10.0.0.0, 10.0.0.1, 10.0.0.10 ...
    const cells = [...admin.page.body.matchAll(/<td>(10\.0\.0\.\d+)<\/td>/g)].map((m) => m[1]!);
    expect(cells).toEqual([...cells].sort());
    expect(admin.page.body).toMatch(/data-column="address" aria-sort="ascending"/);
    // An unknown sort column or page size falls back to the defaults.
    await grid('sort=details;drop&size=7');
    expect(admin.page.body).toMatch(/data-column="at" aria-sort="descending"/);
  });

  it('exports the filtered events as CSV with the shown columns, quoted, formulas defused', async () => {
    await admin.open('/admin/audit?type=login&outcome=denied');
    const href = /<a href="([^"]+)" id="audit-csv"/.exec(admin.page.body)![1]!.replace(/&amp;/g, '&');
    const csv = await admin.browser.fetch(new URL(href, server.url).toString());
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(csv.headers.get('content-disposition')).toMatch(
      /^attachment; filename="passgate-audit-\d{4}-\d{2}-\d{2}\.csv"$/,
    );
    // The body starts with a byte order mark (fetch's text() drops it: read the bytes).
    const raw = await fetch(new URL(href, server.url), {
      headers: { cookie: await admin.browser.jar.getCookieString(new URL(href, server.url).toString()) },
    });
    expect([...new Uint8Array(await raw.arrayBuffer()).slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const rows = parseCsv(csv.body);
    expect(rows[0]).toEqual(['Time (UTC)', 'Event', 'Outcome', 'User', 'Administrator', 'Address']);
    expect(rows).toHaveLength(2);
    expect(rows[1]!.slice(1)).toEqual(['login', 'denied', "'=cmd|' /C calc'!A0", '', "'@evil"]);

    // With the reason shown, the field with a quote, a comma and a line break survives the round trip.
    const form: Record<string, string> = { return: '' };
    for (const id of ['at', 'type', 'outcome', 'username', 'admin', 'address', 'reason'])
      form[`visible.${id}`] = 'on';
    await admin.post('/admin/audit/columns', form);
    const again = parseCsv((await admin.browser.fetch(new URL(href, server.url).toString())).body);
    expect(again[0]!.at(-1)).toBe('Reason');
    expect(again[1]!.at(-1)).toBe('said "no", twice\nreally');
    await admin.post('/admin/audit/columns/reset', { return: '' });
  });
});
