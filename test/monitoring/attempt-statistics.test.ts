import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AttemptResult } from '../../src/attempts/results.js';
import { WorldMap } from '../../src/monitoring/world-map.js';
import type { AttemptFilter } from '../../src/store/repositories/attempt-statistics.js';
import { createTestCore, type TestCore } from '../support/core.js';
import type { Backend } from '../support/databases.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = Date.UTC(2026, 10, 28, 12, 0, 0);

/** Addresses whose country the bundled database knows (and private ones, which have none). */
const ADDRESSES = {
  NL: ['145.100.1.1', '145.100.1.77', '193.0.6.139', '2001:610:1::1'],
  US: ['8.8.8.8', '8.8.4.4'],
  JP: ['133.11.0.1'],
  BR: ['200.160.0.8'],
  private: ['10.1.2.3', '192.168.1.1'],
} as const;
const RESULTS: AttemptResult[] = ['success', 'wrong_password', 'wrong_code', 'denied', 'throttled'];
const USERS = ['alice', 'bob', 'carol', 'mallory'];
const DOORS = [
  ['oidc', 'portal'],
  ['saml', 'office365'],
  ['radius', 'vpn'],
] as const;

describe.each<Backend>(['sqlite', 'postgres'])('monitoring counts on %s', (backend) => {
  let test: TestCore;
  const map = new WorldMap();

  /** The same count in plain SQL, written out independently of the repository. */
  const sqlCount = async (where: string, params: unknown[]) => {
    const { db } = test.core.database;
    const placeholders = where.replace(/\?/g, () => '$$');
    let n = 0;
    const text = backend === 'postgres' ? placeholders.replace(/\$\$/g, () => `$${++n}`) : where;
    const query = sql.raw(
      `select country, count(*) as n from sign_in_attempts where ${text} group by country`,
    );
    const compiled = { ...query.compile(db), parameters: params };
    const { rows } = await db.executeQuery<{ country: string | null; n: number | string }>(compiled);
    return new Map(rows.filter((r) => r.country !== null).map((r) => [r.country!, Number(r.n)]));
  };

  beforeAll(async () => {
    test = await createTestCore(backend);
    // 40 days of attempts: every address, result, user and door in turn, one every 7 hours.
    const all = Object.values(ADDRESSES).flat();
    for (let n = 0; n < 40 * 24; n += 7) {
      test.clock.set(NOW - 40 * DAY + n * HOUR);
      const address = all[n % all.length]!;
      const [door, application] = DOORS[n % DOORS.length]!;
      const result = RESULTS[n % RESULTS.length]!;
      const user = USERS[n % USERS.length]!;
      test.core.attempts.record({
        origin: { address, door, application },
        user: { name: user },
        result,
        method: 'password',
        ...(result === 'success'
          ? {
              decision: {
                rule: 'default',
                action: 'allow',
                facts: { country: test.core.geo.country(address), newCountry: n % 3 === 0 },
              },
            }
          : {}),
      });
    }
    await test.core.attempts.flush();
  });
  afterAll(() => test?.close());

  const last30 = (): AttemptFilter => ({ from: NOW - 30 * DAY, to: NOW + 1 });

  it('shades on the map exactly the countries SQL counts for a filter, with the same counts', async () => {
    const stats = test.core.repositories.attemptStatistics;
    for (const [filter, where, params] of [
      [last30(), 'at >= ? and at < ?', [NOW - 30 * DAY, NOW + 1]],
      [
        { ...last30(), results: ['wrong_password', 'denied'] },
        "at >= ? and at < ? and result in ('wrong_password', 'denied')",
        [NOW - 30 * DAY, NOW + 1],
      ],
      [
        { from: NOW - DAY, to: NOW + 1, door: 'radius' },
        "at >= ? and at < ? and door = 'radius'",
        [NOW - DAY, NOW + 1],
      ],
      [
        { ...last30(), user: 'mallory', application: 'vpn' },
        "at >= ? and at < ? and user_name = 'mallory' and application = 'vpn'",
        [NOW - 30 * DAY, NOW + 1],
      ],
    ] as Array<[AttemptFilter, string, unknown[]]>) {
      const counts = await stats.countsByCountry(filter);
      const expected = await sqlCount(where, params);
      expect(counts, where).toEqual(expected);
      const svg = map.render({ counts, href: (code) => `?country=${code}` });
      const shaded = [...svg.matchAll(/data-country="([A-Z]{2})"><title>[^<]*: ([\d,]+) attempts?</g)].map(
        (m) => [m[1]!, Number(m[2]!.replace(/,/g, ''))] as const,
      );
      expect(new Map(shaded), where).toEqual(expected);
    }
    const all = await stats.countsByCountry(last30());
    expect([...all.keys()].sort()).toEqual(['BR', 'JP', 'NL', 'US']);
    expect(all.get('NL')).toBeGreaterThan(all.get('US')!);
  });

  it('marks the countries where an attempt of the filter was a first for its user', async () => {
    const marked = await test.core.repositories.attemptStatistics.firstSeenCountries(last30());
    const { rows } = await sql<{ country: string }>`select distinct country from sign_in_attempts
      where at >= ${NOW - 30 * DAY} and at < ${NOW + 1} and first_seen = 1 and country is not null`.execute(
      test.core.database.db,
    );
    expect(marked).toEqual(new Set(rows.map((row) => row.country)));
    expect(marked.size).toBeGreaterThan(0);
  });

  it("drills down into one country: by result, application and door, hour, day, top users and networks, each equal to SQL's count", async () => {
    const filter: AttemptFilter = { ...last30(), country: 'NL' };
    const drill = await test.core.repositories.attemptStatistics.drillDown(filter, 3);
    const { db } = test.core.database;
    const rows = await db
      .selectFrom('sign_in_attempts')
      .selectAll()
      .where('country', '=', 'NL')
      .where('at', '>=', filter.from)
      .where('at', '<', filter.to)
      .execute();
    const tally = <K>(key: (row: (typeof rows)[number]) => K) => {
      const counts = new Map<K, number>();
      for (const row of rows) counts.set(key(row), (counts.get(key(row)) ?? 0) + 1);
      return counts;
    };
    expect(drill.total).toBe(rows.length);
    expect(drill.total).toBe(
      (await test.core.repositories.attemptStatistics.countsByCountry(last30())).get('NL'),
    );
    expect(new Map(drill.byResult.map((r) => [r.key, r.count]))).toEqual(tally((r) => r.result));
    expect(new Map(drill.byApplication.map((r) => [`${r.door}/${r.application}`, r.count]))).toEqual(
      tally((r) => `${r.door}/${r.application}`),
    );
    const hours = tally((r) => new Date(Number(r.at)).getUTCHours());
    expect(drill.byHour).toHaveLength(24);
    expect(drill.byHour.filter((h) => h.count > 0).map((h) => [h.key, h.count])).toEqual(
      [...hours].sort((a, b) => a[0] - b[0]),
    );
    expect(drill.byDay.map((d) => [d.key, d.count])).toEqual(
      [...tally((r) => Math.floor(Number(r.at) / DAY) * DAY)].sort((a, b) => a[0] - b[0]),
    );
    const users = [...tally((r) => r.user_name)].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    expect(drill.topUsers.map((u) => [u.user, u.count])).toEqual(users.slice(0, 3));
    const failures = tally((r) => (r.result === 'success' ? '' : r.user_name));
    for (const user of drill.topUsers) expect(user.failures).toBe(failures.get(user.user) ?? 0);
    const networks = [...tally((r) => r.network)].sort(
      (a, b) => b[1] - a[1] || String(a[0]).localeCompare(String(b[0])),
    );
    expect(drill.topNetworks.map((n) => [n.key, n.count])).toEqual(networks.slice(0, 3));
    expect(drill.topNetworks.map((n) => n.key)).toEqual(expect.arrayContaining(['145.100.1.0/24']));
    expect(new Set(drill.topNetworks.map((n) => n.key))).toEqual(
      new Set(['145.100.1.0/24', '193.0.6.0/24', '2001:610:1::/48']),
    );
  });

  it('keeps private addresses out of the map, and finds them with country: null', async () => {
    const drill = await test.core.repositories.attemptStatistics.drillDown({ ...last30(), country: null });
    expect(drill.total).toBeGreaterThan(0);
    expect(drill.topNetworks.map((n) => n.key).sort()).toEqual(['10.1.2.0/24', '192.168.1.0/24']);
  });

  it('answers mixed filters from the day counts (with and without door or application) exactly as a count over the attempts', async () => {
    const stats = test.core.repositories.attemptStatistics;
    const { db } = test.core.database;
    // Periods that start and end inside a day, so that whole days and partial days both count.
    const from = NOW - 20 * DAY - 5 * HOUR;
    const filters: AttemptFilter[] = [
      { from, to: NOW + 1 },
      { from, to: NOW - 3 * HOUR, results: ['wrong_password', 'denied'] },
      { from, to: NOW + 1, country: 'NL', results: ['success'] },
      { from, to: NOW + 1, country: null },
      { from, to: NOW - 2 * DAY, door: 'saml', results: ['success', 'wrong_code'] },
      { from, to: NOW + 1, application: 'vpn', country: 'US' },
      { from, to: NOW + 1, country: 'NL', user: 'bob' },
    ];
    for (const filter of filters) {
      let query = db
        .selectFrom('sign_in_attempts')
        .where('at', '>=', filter.from)
        .where('at', '<', filter.to);
      if (filter.results) query = query.where('result', 'in', [...filter.results]);
      if (filter.door) query = query.where('door', '=', filter.door);
      if (filter.application) query = query.where('application', '=', filter.application);
      if (filter.user) query = query.where('user_name', '=', filter.user);
      if (filter.country !== undefined)
        query =
          filter.country === null
            ? query.where('country', 'is', null)
            : query.where('country', '=', filter.country);
      const rows = await query.select(['at', 'country', 'result']).execute();
      const label = JSON.stringify(filter);
      expect(await stats.count(filter), label).toBe(rows.length);
      const byCountry = new Map<string, number>();
      const byDayAndResult = new Map<string, number>();
      for (const row of rows) {
        if (row.country) byCountry.set(row.country, (byCountry.get(row.country) ?? 0) + 1);
        const key = `${Math.floor(Number(row.at) / DAY) * DAY}/${row.result}`;
        byDayAndResult.set(key, (byDayAndResult.get(key) ?? 0) + 1);
      }
      const { country: _map, ...mapFilter } = filter;
      if (filter.country === undefined)
        expect(await stats.countsByCountry(mapFilter), label).toEqual(byCountry);
      const chart = await stats.byDayAndResult(filter);
      expect(new Map(chart.map((d) => [`${d.day}/${d.result}`, d.count])), label).toEqual(byDayAndResult);
      if (filter.country !== undefined) {
        const drill = await stats.drillDown(filter);
        expect(drill.total, label).toBe(rows.length);
        expect(drill.byDayAndResult, label).toEqual(chart);
        // By hour: whole days from the country hour counts (without a result, door or
        // application in the filter), the rest from the attempts.
        const hours = new Array<number>(24).fill(0);
        for (const row of rows) hours[new Date(Number(row.at)).getUTCHours()]! += 1;
        expect(
          drill.byHour.map((h) => h.count),
          label,
        ).toEqual(hours);
      }
    }
  });

  it('keeps the day counts equal to a GROUP BY over the attempts, through inserts and pruning, and answers the same with or without them', async () => {
    const { db } = test.core.database;
    const stats = test.core.repositories.attemptStatistics;
    const countryGrouped = async () => {
      const { rows } = await sql<Record<string, string | number>>`select (at / 86400000) * 86400000 as day,
        coalesce(country, '') as country, result, count(*) as attempts, sum(first_seen) as first_seen
        from sign_in_attempts group by (at / 86400000) * 86400000, coalesce(country, ''), result`.execute(db);
      return rows.map((r) => Object.values(r).map(String).join('|')).sort();
    };
    const countryKept = async () =>
      (await db.selectFrom('sign_in_attempt_country_days').selectAll().execute())
        .map((r) => [r.day, r.country, r.result, r.attempts, r.first_seen].map(String).join('|'))
        .sort();
    const hourGrouped = async () => {
      const { rows } = await sql<Record<string, string | number>>`select coalesce(country, '') as country,
        (at / 86400000) * 86400000 as day, (at / 3600000) % 24 as hour, count(*) as attempts
        from sign_in_attempts group by coalesce(country, ''), (at / 86400000) * 86400000, (at / 3600000) % 24`.execute(
        db,
      );
      return rows.map((r) => Object.values(r).map(String).join('|')).sort();
    };
    const hourKept = async () =>
      (await db.selectFrom('sign_in_attempt_country_hours').selectAll().execute())
        .map((r) => [r.country, r.day, r.hour, r.attempts].map(String).join('|'))
        .sort();
    const grouped = async () => {
      const { rows } = await sql<Record<string, string | number>>`select (at / 86400000) * 86400000 as day,
        coalesce(country, '') as country, result, door, coalesce(application, '') as application,
        count(*) as attempts, sum(first_seen) as first_seen from sign_in_attempts
        group by (at / 86400000) * 86400000, coalesce(country, ''), result, door, coalesce(application, '')`.execute(
        db,
      );
      return rows.map((r) => Object.values(r).map(String).join('|')).sort();
    };
    const kept = async () =>
      (await db.selectFrom('sign_in_attempt_days').selectAll().execute())
        .map((r) =>
          [r.day, r.country, r.result, r.door, r.application, r.attempts, r.first_seen].map(String).join('|'),
        )
        .sort();
    expect(await kept()).toEqual(await grouped());
    expect(await countryKept()).toEqual(await countryGrouped());
    expect(await hourKept()).toEqual(await hourGrouped());
    // A user filter reads the attempts alone; the same counts as the days for the same attempts.
    for (const filter of [last30(), { ...last30(), door: 'saml' }, { ...last30(), results: ['denied'] }]) {
      const viaDays = await stats.countsByCountry(filter);
      const users = await Promise.all(USERS.map((user) => stats.countsByCountry({ ...filter, user })));
      const summed = new Map<string, number>();
      for (const counts of users)
        for (const [country, n] of counts) summed.set(country, (summed.get(country) ?? 0) + n);
      expect(viaDays).toEqual(summed);
      const drill = await stats.drillDown({ ...filter, country: 'NL' });
      expect(drill.byDayAndResult).toEqual(await stats.byDayAndResult({ ...filter, country: 'NL' }));
    }
    // Pruning part of a day takes exactly those attempts off its counts.
    await test.core.repositories.signInAttempts.prune(NOW - 35 * DAY - 5 * HOUR, 3);
    expect(await kept()).toEqual(await grouped());
    expect(await countryKept()).toEqual(await countryGrouped());
    expect((await countryKept()).length).toBeGreaterThan(0);
    expect(await hourKept()).toEqual(await hourGrouped());
    expect((await hourKept()).length).toBeGreaterThan(0);
    expect(await stats.countsByCountry({ from: 0, to: NOW + 1 })).toEqual(
      await sqlCount('at >= ? and at < ?', [0, NOW + 1]),
    );
  });

  it('counts attempts per day and result for the chart, the sum equal to the filter total', async () => {
    const stats = test.core.repositories.attemptStatistics;
    const days = await stats.byDayAndResult(last30());
    const total = [...(await stats.countsByCountry(last30())).values()].reduce((a, b) => a + b, 0);
    const unknown = (await stats.drillDown({ ...last30(), country: null })).total;
    expect(days.reduce((sum, d) => sum + d.count, 0)).toBe(total + unknown);
    expect(days.every((d) => d.day % DAY === 0)).toBe(true);
  });

  it('lists every user and network tied at the last place of a top list, however many are tied, in the same order as SQL counts', async () => {
    // Ten users and ten networks of Finland, one attempt each (one two): ties beyond the groups a
    // top list reads first (4 per place), so that both ways of finding them answer.
    const names = ['ulla', 'aino', 'eero', 'juha', 'kaisa', 'lauri', 'mikko', 'niina', 'olli', 'pekka'];
    await test.core.repositories.signInAttempts.insertMany(
      [...names, 'olli'].map((name, n) => ({
        id: `fi-top-${String(n).padStart(2, '0')}`,
        at: NOW - 2 * DAY + n * HOUR,
        user_id: null,
        user_name: name,
        door: 'oidc',
        application: 'portal',
        address: `192.0.${n}.1`,
        network: `192.0.${n % 10}.0/24`,
        country: 'FI',
        first_seen: 0,
        result: n % 2 === 0 ? 'success' : 'wrong_password',
        reason: null,
        rule: null,
        action: null,
        method: 'password',
      })),
    );
    const filter = { ...last30(), country: 'FI' };
    for (const top of [1, 2, 3, 12]) {
      const drill = await test.core.repositories.attemptStatistics.drillDown(filter, top);
      const users = [...names].sort((a, b) => (a === 'olli' ? -1 : b === 'olli' ? 1 : a.localeCompare(b)));
      expect(
        drill.topUsers.map((u) => [u.user, u.count, u.failures]),
        `top ${top}`,
      ).toEqual(users.slice(0, top).map((user) => [user, user === 'olli' ? 2 : 1, names.indexOf(user) % 2]));
      const networks = names
        .map((_, n) => `192.0.${n}.0/24`)
        .sort((a, b) => (a === '192.0.0.0/24' ? -1 : b === '192.0.0.0/24' ? 1 : a.localeCompare(b)));
      expect(
        drill.topNetworks.map((n) => [n.key, n.count]),
        `top ${top}`,
      ).toEqual(networks.slice(0, top).map((key) => [key, key === '192.0.0.0/24' ? 2 : 1]));
    }
  });
});
