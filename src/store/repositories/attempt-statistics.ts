import { type Kysely, type SelectQueryBuilder, sql } from 'kysely';
import type { SignInAttemptRow, Tables } from '../tables.js';

const HOUR = 3_600_000;
const DAY = 86_400_000;

/** Which attempts a monitoring view counts: a period, and optionally one value of each column. */
export interface AttemptFilter {
  /** From this time (epoch ms, inclusive). */
  from: number;
  /** To this time (epoch ms, exclusive). */
  to: number;
  /** Any of these results (ATTEMPT_RESULTS). */
  results?: readonly string[];
  door?: string;
  application?: string;
  /** The user's name (or the name typed). */
  user?: string;
  /** An ISO 3166-1 alpha-2 code, or null for attempts without a country (private addresses). */
  country?: string | null;
  method?: string;
  rule?: string;
}

/** A count by one key. */
export interface Counted<K> {
  key: K;
  count: number;
}

/** What the drill-down of a filter (usually one country) shows. */
export interface DrillDown {
  total: number;
  byResult: Counted<string>[];
  /** By door and application. */
  byApplication: Array<{ door: string; application: string | null; count: number }>;
  /** Hour of day, UTC (0–23): every hour, zero where none. */
  byHour: Counted<number>[];
  /** Day (the UTC midnight it starts at, epoch ms): days with attempts only. */
  byDay: Counted<number>[];
  /** The users with the most attempts, with their failures. */
  topUsers: Array<{ user: string; count: number; failures: number }>;
  /** The source networks (/24, /48) with the most attempts. */
  topNetworks: Counted<string>[];
  /** Per UTC day and result (the chart), as {@link AttemptStatisticsRepository.byDayAndResult} counts them. */
  byDayAndResult: Array<{ day: number; result: string; count: number }>;
}

/** The map's figures for a filter. */
export interface AttemptMap {
  counts: Map<string, number>;
  /** Countries where an attempt was the user's first from there. */
  marked: Set<string>;
}

/** The grid's sortable columns and the column each orders by. */
const SORT_COLUMNS = {
  at: 'at',
  user: 'user_name',
  country: 'country',
  result: 'result',
  door: 'door',
  application: 'application',
} as const;

/** A sort of the attempts grid: a column of {@link SORT_COLUMNS} and a direction. */
export interface AttemptSort {
  column: keyof typeof SORT_COLUMNS;
  direction: 'asc' | 'desc';
}

/** Whether a grid column id can sort the attempts. */
export function isAttemptSortColumn(column: string): column is AttemptSort['column'] {
  return column in SORT_COLUMNS;
}

/** What the "what if" dry run replays of one attempt. */
export type ReplayedAttempt = Pick<
  SignInAttemptRow,
  'at' | 'user_id' | 'user_name' | 'address' | 'door' | 'application'
>;

/** An attempt's UTC day (the midnight it starts at) and hour of day, in integer arithmetic on both engines. */
const dayOf = sql<number>`(at / ${sql.lit(DAY)}) * ${sql.lit(DAY)}`;
const hourOfDay = sql<number>`(at / ${sql.lit(HOUR)}) % 24`;

type Query<O> = SelectQueryBuilder<Tables, 'sign_in_attempts', O>;

/**
 * How many groups per place a top list reads first, ordered by count (a bounded sort): enough
 * that ties at the last place rarely go beyond them (then every tied group is read).
 */
const TOP_READ = 4;

/**
 * The monitoring queries over the sign-in attempts: the map's counts per country, the
 * drill-down's breakdowns, the chart's counts per day and result — on SQLite and PostgreSQL alike
 * (times are epoch milliseconds, so hours and days are integer arithmetic, in UTC).
 */
export class AttemptStatisticsRepository {
  constructor(private readonly db: Kysely<Tables>) {}

  /**
   * What the map shows: attempts per country (attempts without one are left out) and the
   * countries where an attempt was the user's first from there. Whole days come from the day
   * counts when they can answer the filter, the partial days at either end from the attempts.
   */
  async map(filter: AttemptFilter): Promise<AttemptMap> {
    const counts = new Map<string, number>();
    const marked = new Set<string>();
    const add = (country: string | null, count: number, firstSeen: number) => {
      if (!country || count <= 0) return;
      counts.set(country, (counts.get(country) ?? 0) + count);
      if (firstSeen > 0) marked.add(country);
    };
    const { days, edges } = this.split(filter);
    if (days) {
      const rows = await this.countryDayCounts(filter, days)
        .select([
          'country',
          (eb) => eb.fn.sum<number>('attempts').as('count'),
          (eb) => eb.fn.sum<number>('first_seen').as('first_seen'),
        ])
        .groupBy('country')
        .execute();
      for (const row of rows) add(row.country, Number(row.count), Number(row.first_seen));
    }
    for (const [from, to] of edges) {
      const rows = await this.filtered({ ...filter, from, to })
        .select([
          'country',
          (eb) => eb.fn.countAll<number>().as('count'),
          (eb) => eb.fn.sum<number>('first_seen').as('first_seen'),
        ])
        .groupBy('country')
        .execute();
      for (const row of rows) add(row.country, Number(row.count), Number(row.first_seen));
    }
    return { counts, marked };
  }

  /** Attempts per country (attempts without one are left out): what the map shades. */
  async countsByCountry(filter: AttemptFilter): Promise<Map<string, number>> {
    return (await this.map(filter)).counts;
  }

  /** Countries where an attempt of the filter was the user's first from there: what the map marks. */
  async firstSeenCountries(filter: AttemptFilter): Promise<Set<string>> {
    return (await this.map(filter)).marked;
  }

  /** Attempts per UTC day and result, for the chart of attempts over time (by day, then result). */
  async byDayAndResult(
    filter: AttemptFilter,
  ): Promise<Array<{ day: number; result: string; count: number }>> {
    const counted = new Map<string, { day: number; result: string; count: number }>();
    const add = (day: number, result: string, count: number) => {
      const key = `${day}\u0000${result}`;
      const entry = counted.get(key) ?? { day, result, count: 0 };
      entry.count += count;
      counted.set(key, entry);
    };
    const { days, edges } = this.split(filter);
    if (days) {
      const rows = await this.countryDayCounts(filter, days)
        .select(['day', 'result', (eb) => eb.fn.sum<number>('attempts').as('count')])
        .groupBy(['day', 'result'])
        .execute();
      for (const row of rows) add(Number(row.day), row.result, Number(row.count));
    }
    for (const [from, to] of edges) {
      const rows = await this.filtered({ ...filter, from, to })
        .select([dayOf.as('day'), 'result', (eb) => eb.fn.countAll<number>().as('count')])
        .groupBy([dayOf, 'result'])
        .execute();
      for (const row of rows) add(Number(row.day), row.result, Number(row.count));
    }
    return sortByDayAndResult([...counted.values()].filter((entry) => entry.count > 0));
  }

  /**
   * Every breakdown of the drill-down, for one filter (with `country` set, a country's page),
   * counted by the database: by result, door and application and day from the day counts (and
   * the partial days from the attempts), by hour, top users and networks grouped over the
   * country's index (`sign_in_attempts_country_drill` holds every column) — no attempt is read
   * into the process one by one.
   */
  async drillDown(filter: AttemptFilter, top = 10): Promise<DrillDown> {
    // Independent statements: on PostgreSQL each on a connection of its own, at the same time.
    const [slices, byHour, users, networks] = await Promise.all([
      this.slices(filter),
      this.byHour(filter),
      this.topGroups(filter, 'user_name', top),
      this.topGroups(filter, 'network', top),
    ]);
    const results = new Map<string, number>();
    const applications = new Map<string, { door: string; application: string | null; count: number }>();
    const days = new Map<number, number>();
    const dayResults = new Map<string, { day: number; result: string; count: number }>();
    let total = 0;
    for (const slice of slices) {
      total += slice.count;
      results.set(slice.result, (results.get(slice.result) ?? 0) + slice.count);
      const app = `${slice.door}\u0000${slice.application ?? ''}`;
      const counted = applications.get(app) ?? { door: slice.door, application: slice.application, count: 0 };
      counted.count += slice.count;
      applications.set(app, counted);
      days.set(slice.day, (days.get(slice.day) ?? 0) + slice.count);
      const key = `${slice.day}\u0000${slice.result}`;
      const dayResult = dayResults.get(key) ?? { day: slice.day, result: slice.result, count: 0 };
      dayResult.count += slice.count;
      dayResults.set(key, dayResult);
    }
    const byCount = <K>(a: [K, number], b: [K, number]) =>
      b[1] - a[1] || String(a[0]).localeCompare(String(b[0]));
    return {
      total,
      byResult: [...results].sort(byCount).map(([key, count]) => ({ key, count })),
      byApplication: [...applications.values()].sort(
        (a, b) =>
          b.count - a.count ||
          a.door.localeCompare(b.door) ||
          (a.application ?? '').localeCompare(b.application ?? ''),
      ),
      byHour: byHour.map((count, key) => ({ key, count })),
      byDay: [...days].sort((a, b) => a[0] - b[0]).map(([key, count]) => ({ key, count })),
      topUsers: users.map(({ key, count, failures }) => ({ user: key, count, failures })),
      topNetworks: networks.map(({ key, count }) => ({ key, count })),
      byDayAndResult: sortByDayAndResult([...dayResults.values()]),
    };
  }

  /**
   * The filter's attempts per UTC hour of day (24 counts): whole days from the country hour
   * counts when the filter names a country and nothing else they are not kept by (result, door,
   * application; user, method and rule, as for the day counts), the rest grouped over the attempts.
   */
  private async byHour(filter: AttemptFilter): Promise<number[]> {
    const counts = new Array<number>(24).fill(0);
    const hourly =
      filter.country !== undefined &&
      !filter.results?.length &&
      filter.door === undefined &&
      filter.application === undefined;
    const { days, edges } = hourly
      ? this.split(filter)
      : { days: undefined, edges: [[filter.from, filter.to]] };
    const grouped = await Promise.all([
      days
        ? this.db
            .selectFrom('sign_in_attempt_country_hours')
            .where('country', '=', filter.country ?? '')
            .where('day', '>=', days[0])
            .where('day', '<', days[1])
            .groupBy('hour')
            .select(['hour', (eb) => eb.fn.sum<number>('attempts').as('count')])
            .execute()
        : [],
      ...edges.map(([from, to]) =>
        this.filtered({ ...filter, from, to })
          .select([hourOfDay.as('hour'), (eb) => eb.fn.countAll<number>().as('count')])
          .groupBy(hourOfDay)
          .execute(),
      ),
    ]);
    for (const rows of grouped) for (const row of rows) counts[Number(row.hour)]! += Number(row.count);
    return counts;
  }

  /**
   * The filter's attempts counted per day, result, door and application: whole days from the day
   * counts when they can answer the filter, the rest grouped over the attempts.
   */
  private async slices(
    filter: AttemptFilter,
  ): Promise<
    Array<{ day: number; result: string; door: string; application: string | null; count: number }>
  > {
    const slices: Array<{
      day: number;
      result: string;
      door: string;
      application: string | null;
      count: number;
    }> = [];
    const { days, edges } = this.split(filter);
    if (days) {
      const rows = await this.dayCounts(filter, days)
        .select(['day', 'result', 'door', 'application', (eb) => eb.fn.sum<number>('attempts').as('count')])
        .groupBy(['day', 'result', 'door', 'application'])
        .execute();
      for (const row of rows)
        slices.push({
          day: Number(row.day),
          result: row.result,
          door: row.door,
          application: row.application === '' ? null : row.application,
          count: Number(row.count),
        });
    }
    for (const [from, to] of edges) {
      const rows = await this.filtered({ ...filter, from, to })
        .select([
          dayOf.as('day'),
          'result',
          'door',
          'application',
          (eb) => eb.fn.countAll<number>().as('count'),
        ])
        .groupBy([dayOf, 'result', 'door', 'application'])
        .execute();
      for (const row of rows) slices.push({ ...row, day: Number(row.day), count: Number(row.count) });
    }
    return slices.filter((slice) => slice.count > 0);
  }

  /**
   * The `top` values of a column with the most attempts (ties in `localeCompare` order), with
   * their failures (users; 0 for networks, which do not show them). Every group counting at least
   * as many as the top-th must come back, so that the ties are ordered here, the same on both
   * engines. First the largest {@link TOP_READ} × `top` groups by count (a grouped scan and a
   * bounded sort): when fewer came back, or the last of them counts less than the top-th, they
   * hold every such group. Else (ties beyond them) {@link allTiedGroups} answers.
   */
  private async topGroups(
    filter: AttemptFilter,
    column: 'user_name' | 'network',
    top: number,
  ): Promise<Array<{ key: string; count: number; failures: number }>> {
    const limit = Math.max(1, top) * TOP_READ;
    const first = await this.grouped(filter, column).orderBy('count', 'desc').limit(limit).execute();
    const rows =
      first.length < limit || Number(first[limit - 1]!.count) < Number(first[Math.max(0, top - 1)]!.count)
        ? first
        : await this.allTiedGroups(filter, column, top);
    return rows
      .map((row) => ({ key: String(row.key), count: Number(row.count), failures: Number(row.failures) }))
      .sort((a, b) => b.count - a.count || a.key.localeCompare(b.key))
      .slice(0, top);
  }

  /** The filter's attempts grouped by a column (none for attempts without it): key, count, failures. */
  private grouped(filter: AttemptFilter, column: 'user_name' | 'network') {
    return this.filtered(filter)
      .where(column, 'is not', null)
      .groupBy(column)
      .select([
        `${column} as key` as 'user_name as key',
        (eb) => eb.fn.countAll<number>().as('count'),
        // Failures only where they are shown (top users): for networks the grouping then sorts
        // the key alone, a fifth less work on SQLite.
        (eb) =>
          (column === 'user_name'
            ? eb.fn.sum<number>(eb.case().when('result', '<>', 'success').then(1).else(0).end())
            : sql<number>`0`
          ).as('failures'),
      ]);
  }

  /**
   * Every group counting at least as many as the top-th, however many are tied: one grouped scan,
   * kept once (a materialized CTE), of which come back the groups counting at least as many as
   * the top-th largest count, found by a bounded sort.
   */
  private allTiedGroups(filter: AttemptFilter, column: 'user_name' | 'network', top: number) {
    return (
      this.db
        .with(
          (cte) => cte('grouped').materialized(),
          () => this.grouped(filter, column),
        )
        .selectFrom('grouped')
        .select(['key', 'count', 'failures'])
        // At least the top-th largest count (0 when there are fewer groups): the groups ranked top
        // or better, ties included, without sorting every group.
        .where(
          sql<boolean>`${sql.ref('count')} >= coalesce((select ${sql.ref('count')} from ${sql.table('grouped')}
          order by ${sql.ref('count')} desc limit 1 offset ${sql.lit(Math.max(0, top - 1))}), 0)`,
        )
        .execute()
    );
  }

  /** One page of the filter's attempts (the grid, the CSV export), ties broken by id. */
  async search(
    filter: AttemptFilter,
    sort: AttemptSort,
    limit: number,
    offset = 0,
  ): Promise<SignInAttemptRow[]> {
    const rows = await this.filtered(filter)
      .selectAll()
      .orderBy(SORT_COLUMNS[sort.column], sort.direction)
      .orderBy('id', sort.direction)
      .limit(limit)
      .offset(offset)
      .execute();
    return rows.map((row) => ({ ...row, at: Number(row.at), first_seen: Number(row.first_seen) }));
  }

  /**
   * How many attempts a filter holds: whole days summed from the day counts when they can answer
   * the filter, the partial days at either end counted over the attempts.
   */
  async count(filter: AttemptFilter): Promise<number> {
    const { days, edges } = this.split(filter);
    let total = 0;
    if (days) {
      const row = await this.countryDayCounts(filter, days)
        .select((eb) => eb.fn.sum<number>('attempts').as('count'))
        .executeTakeFirst();
      total += Number(row?.count ?? 0);
    }
    for (const [from, to] of edges) {
      const row = await this.filtered({ ...filter, from, to })
        .select((eb) => eb.fn.countAll<number>().as('count'))
        .executeTakeFirstOrThrow();
      total += Number(row.count);
    }
    return total;
  }

  /** The filter's attempts as the "what if" dry run replays them, oldest first. */
  async replayed(filter: AttemptFilter): Promise<ReplayedAttempt[]> {
    const rows = await this.filtered(filter)
      .select(['at', 'user_id', 'user_name', 'address', 'door', 'application'])
      .orderBy('at')
      .execute();
    return rows.map((row) => ({ ...row, at: Number(row.at) }));
  }

  /**
   * A filter's period as whole UTC days the day counts can answer (none when the filter names a
   * user, method or rule, which they are not kept by) and the rest, read from the attempts.
   */
  private split(filter: AttemptFilter): { days?: [number, number]; edges: Array<[number, number]> } {
    const first = Math.ceil(filter.from / DAY) * DAY;
    const last = Math.floor(filter.to / DAY) * DAY;
    const countable = filter.user === undefined && filter.method === undefined && filter.rule === undefined;
    if (!countable || first >= last) return { edges: [[filter.from, filter.to]] };
    const edges: Array<[number, number]> = [];
    if (filter.from < first) edges.push([filter.from, first]);
    if (last < filter.to) edges.push([last, filter.to]);
    return { days: [first, last], edges };
  }

  /** The day counts of a filter's whole days (`split`): its results, door, application and country. */
  private dayCounts(filter: AttemptFilter, [first, last]: [number, number]) {
    let query = this.db.selectFrom('sign_in_attempt_days').where('day', '>=', first).where('day', '<', last);
    if (filter.results?.length) query = query.where('result', 'in', [...filter.results]);
    if (filter.door !== undefined) query = query.where('door', '=', filter.door);
    if (filter.application !== undefined) query = query.where('application', '=', filter.application);
    if (filter.country !== undefined) query = query.where('country', '=', filter.country ?? '');
    return query;
  }

  /**
   * The day counts of a filter's whole days summed by day, country and result: from the country
   * day counts (a few times fewer rows) when the filter names no door or application, else from
   * the day counts. Both tables hold these columns, of the same types.
   */
  private countryDayCounts(filter: AttemptFilter, days: [number, number]) {
    if (filter.door !== undefined || filter.application !== undefined) return this.dayCounts(filter, days);
    let query = this.db
      .selectFrom('sign_in_attempt_country_days as sign_in_attempt_days')
      .where('day', '>=', days[0])
      .where('day', '<', days[1]);
    if (filter.results?.length) query = query.where('result', 'in', [...filter.results]);
    if (filter.country !== undefined) query = query.where('country', '=', filter.country ?? '');
    // The alias gives the statement the day counts' name; the callers read only the columns both have.
    return query as unknown as ReturnType<AttemptStatisticsRepository['dayCounts']>;
  }

  /** The attempts of a filter: the period first (every index starts with it or with the column after it). */
  private filtered(filter: AttemptFilter): Query<object> {
    let query = this.db
      .selectFrom('sign_in_attempts')
      .where('at', '>=', filter.from)
      .where('at', '<', filter.to) as Query<object>;
    if (filter.results?.length) query = query.where('result', 'in', [...filter.results]);
    if (filter.door !== undefined) query = query.where('door', '=', filter.door);
    if (filter.application !== undefined) query = query.where('application', '=', filter.application);
    if (filter.user !== undefined) query = query.where('user_name', '=', filter.user);
    if (filter.country !== undefined)
      query =
        filter.country === null
          ? query.where('country', 'is', null)
          : query.where('country', '=', filter.country);
    if (filter.method !== undefined) query = query.where('method', '=', filter.method);
    if (filter.rule !== undefined) query = query.where('rule', '=', filter.rule);
    return query;
  }
}

/** By day, then result in byte order (the same on both engines, whatever PostgreSQL's collation). */
function sortByDayAndResult<T extends { day: number; result: string }>(rows: T[]): T[] {
  return rows.sort((a, b) => a.day - b.day || (a.result < b.result ? -1 : a.result > b.result ? 1 : 0));
}
