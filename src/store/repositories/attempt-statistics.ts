import { type ExpressionBuilder, type Kysely, type SelectQueryBuilder, sql } from 'kysely';
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

  /** Every breakdown of the drill-down, for one filter (with `country` set, a country's page). */
  async drillDown(filter: AttemptFilter, top = 10): Promise<DrillDown> {
    const count = (eb: ExpressionBuilder<Tables, 'sign_in_attempts'>) => eb.fn.countAll<number>().as('count');
    const hour = sql<number>`(at / ${sql.lit(HOUR)}) % 24`;
    const day = sql<number>`(at / ${sql.lit(DAY)}) * ${sql.lit(DAY)}`;
    const [byResult, byApplication, hours, byDay, topUsers, topNetworks] = await Promise.all([
      this.filtered(filter)
        .select(['result', count])
        .groupBy('result')
        .orderBy('count', 'desc')
        .orderBy('result')
        .execute(),
      this.filtered(filter)
        .select(['door', 'application', count])
        .groupBy(['door', 'application'])
        .orderBy('count', 'desc')
        .orderBy('door')
        .orderBy('application')
        .execute(),
      this.filtered(filter)
        .select([hour.as('hour'), count])
        .groupBy(hour)
        .execute(),
      this.filtered(filter)
        .select([day.as('day'), count])
        .groupBy(day)
        .orderBy('day')
        .execute(),
      this.filtered(filter)
        .select([
          'user_name',
          count,
          (eb) =>
            eb.fn.sum<number>(eb.case().when('result', '=', 'success').then(0).else(1).end()).as('failures'),
        ])
        .groupBy('user_name')
        .orderBy('count', 'desc')
        .orderBy('user_name')
        .limit(top)
        .execute(),
      this.filtered(filter)
        .select(['network', count])
        .where('network', 'is not', null)
        .groupBy('network')
        .orderBy('count', 'desc')
        .orderBy('network')
        .limit(top)
        .execute(),
    ]);
    const perHour = new Map(hours.map((row) => [Number(row.hour), Number(row.count)]));
    const results = byResult.map((row) => ({ key: row.result, count: Number(row.count) }));
    return {
      total: results.reduce((sum, row) => sum + row.count, 0),
      byResult: results,
      byApplication: byApplication.map((row) => ({
        door: row.door,
        application: row.application,
        count: Number(row.count),
      })),
      byHour: Array.from({ length: 24 }, (_, hour) => ({ key: hour, count: perHour.get(hour) ?? 0 })),
      byDay: byDay.map((row) => ({ key: Number(row.day), count: Number(row.count) })),
      topUsers: topUsers.map((row) => ({
        user: row.user_name,
        count: Number(row.count),
        failures: Number(row.failures),
      })),
      topNetworks: topNetworks.map((row) => ({ key: row.network!, count: Number(row.count) })),
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
