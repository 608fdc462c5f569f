import { type Kysely, type SelectQueryBuilder, sql } from 'kysely';
import type { Tables } from '../tables.js';

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
}

type Query<O> = SelectQueryBuilder<Tables, 'sign_in_attempts', O>;

/**
 * The monitoring queries over the sign-in attempts: the map's counts per country, the
 * drill-down's breakdowns, the chart's counts per day and result — on SQLite and PostgreSQL alike
 * (times are epoch milliseconds, so hours and days are integer arithmetic, in UTC).
 */
export class AttemptStatisticsRepository {
  constructor(private readonly db: Kysely<Tables>) {}

  /** Attempts per country (attempts without one are left out): what the map shades. */
  async countsByCountry(filter: AttemptFilter): Promise<Map<string, number>> {
    const rows = await this.filtered(filter)
      .select(['country', (eb) => eb.fn.countAll<number>().as('count')])
      .where('country', 'is not', null)
      .groupBy('country')
      .execute();
    return new Map(rows.map((row) => [row.country!, Number(row.count)]));
  }

  /** Countries where an attempt of the filter was the user's first from there: what the map marks. */
  async firstSeenCountries(filter: AttemptFilter): Promise<Set<string>> {
    const rows = await this.filtered(filter)
      .select('country')
      .distinct()
      .where('first_seen', '=', 1)
      .where('country', 'is not', null)
      .execute();
    return new Set(rows.map((row) => row.country!));
  }

  /** Attempts per UTC day and result, for the chart of attempts over time. */
  async byDayAndResult(
    filter: AttemptFilter,
  ): Promise<Array<{ day: number; result: string; count: number }>> {
    const day = sql<number>`(at / ${sql.lit(DAY)}) * ${sql.lit(DAY)}`;
    const rows = await this.filtered(filter)
      .select([day.as('day'), 'result', (eb) => eb.fn.countAll<number>().as('count')])
      .groupBy([day, 'result'])
      .orderBy('day')
      .orderBy('result')
      .execute();
    return rows.map((row) => ({ day: Number(row.day), result: row.result, count: Number(row.count) }));
  }

  /**
   * Every breakdown of the drill-down, for one filter (with `country` set, a country's page): one
   * read of the filter's attempts, counted here — one pass instead of a grouped query per breakdown.
   */
  async drillDown(filter: AttemptFilter, top = 10): Promise<DrillDown> {
    const rows = await this.filtered(filter)
      .select(['at', 'result', 'door', 'application', 'user_name', 'network'])
      .execute();
    const results = new Map<string, number>();
    const applications = new Map<string, { door: string; application: string | null; count: number }>();
    const hours = new Array<number>(24).fill(0);
    const days = new Map<number, number>();
    const users = new Map<string, { count: number; failures: number }>();
    const networks = new Map<string, number>();
    for (const row of rows) {
      const at = Number(row.at);
      results.set(row.result, (results.get(row.result) ?? 0) + 1);
      const app = `${row.door}\u0000${row.application ?? ''}`;
      const counted = applications.get(app) ?? { door: row.door, application: row.application, count: 0 };
      counted.count++;
      applications.set(app, counted);
      hours[Math.floor(at / HOUR) % 24]!++;
      const day = Math.floor(at / DAY) * DAY;
      days.set(day, (days.get(day) ?? 0) + 1);
      const user = users.get(row.user_name) ?? { count: 0, failures: 0 };
      user.count++;
      if (row.result !== 'success') user.failures++;
      users.set(row.user_name, user);
      if (row.network !== null) networks.set(row.network, (networks.get(row.network) ?? 0) + 1);
    }
    const byCount = <K>(a: [K, number], b: [K, number]) =>
      b[1] - a[1] || String(a[0]).localeCompare(String(b[0]));
    return {
      total: rows.length,
      byResult: [...results].sort(byCount).map(([key, count]) => ({ key, count })),
      byApplication: [...applications.values()].sort(
        (a, b) =>
          b.count - a.count ||
          a.door.localeCompare(b.door) ||
          (a.application ?? '').localeCompare(b.application ?? ''),
      ),
      byHour: hours.map((count, key) => ({ key, count })),
      byDay: [...days].sort((a, b) => a[0] - b[0]).map(([key, count]) => ({ key, count })),
      topUsers: [...users]
        .sort((a, b) => b[1].count - a[1].count || a[0].localeCompare(b[0]))
        .slice(0, top)
        .map(([user, { count, failures }]) => ({ user, count, failures })),
      topNetworks: [...networks]
        .sort(byCount)
        .slice(0, top)
        .map(([key, count]) => ({ key, count })),
    };
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
