import { ATTEMPT_RESULTS } from '../../../attempts/results.js';
import { countryName } from '../../../geo/countries.js';
import { renderAttemptsChart } from '../../../monitoring/attempts-chart.js';
import { WorldMap } from '../../../monitoring/world-map.js';
import { type AttemptSort, isAttemptSortColumn } from '../../../store/repositories/attempt-statistics.js';
import { writeGridCsv } from '../grid/csv-export.js';
import { columnRoutes } from '../grid/routes.js';
import { type GridSort, gridView, readPaging, readSort } from '../grid/view.js';
import type { AdminPage, AdminSite } from '../page.js';
import { allows } from '../permissions.js';
import { auditTime } from './audit.js';
import {
  MONITORING_PERIODS,
  type MonitoringForm,
  monitoringQuery,
  NO_COUNTRY,
  RESULT_CHOICES,
  readMonitoringFilter,
} from './monitoring-filter.js';
import { ATTEMPTS_GRID } from './monitoring-grid.js';
import { whatIfRoutes } from './monitoring-what-if.js';

/** The monitoring page's path. */
export const MONITORING_PATH = '/admin/monitoring';

const DEFAULT_SORT: GridSort = { column: 'at', direction: 'desc' };

/** One map per process: projecting the countries is the expensive part, done once. */
let worldMap: WorldMap | undefined;

const link = (form: MonitoringForm, changes: Partial<MonitoringForm> = {}) =>
  `${MONITORING_PATH}?${new URLSearchParams(monitoringQuery(form, changes))}`;

/** The page's words per site and language, made once: a map has about 180 country labels. */
const wordsCache = new WeakMap<AdminSite, Map<string, ReturnType<typeof translatedWords>>>();

/** The page's words for the map, the chart and the results, in the administrator's language (cached). */
function words(site: AdminSite, language: string) {
  let byLanguage = wordsCache.get(site);
  if (!byLanguage) {
    byLanguage = new Map();
    wordsCache.set(site, byLanguage);
  }
  let made = byLanguage.get(language);
  if (!made) {
    made = translatedWords(site, language);
    byLanguage.set(language, made);
  }
  return made;
}

/**
 * The page's words for the map, the chart and the results in one language; a country's label
 * without attempts (most of the map) is translated once per country and kept.
 */
function translatedWords(site: AdminSite, language: string) {
  const t = (key: string, values?: Record<string, unknown>) =>
    site.t(language, `admin:monitoring.${key}`, values);
  const withoutAttempts = new Map<string, string>();
  return {
    t,
    map: {
      title: t('map.title'),
      description: t('map.description'),
      country: (name: string, count: number) => {
        if (count !== 0) return t('map.country', { name, count });
        let label = withoutAttempts.get(name);
        if (label === undefined) {
          label = t('map.country', { name, count });
          withoutAttempts.set(name, label);
        }
        return label;
      },
      none: t('map.none'),
      marked: t('map.marked'),
    },
    series: ATTEMPT_RESULTS.map((key) => ({ key, label: t(`results.${key}`) })),
  };
}

/**
 * Monitoring (issue 17): the sign-in attempts under one filter kept in the URL — the world map,
 * the chart of attempts per day and result, the grid of attempts (with the administrator's
 * columns) and its CSV export; with a country chosen (a click on the map), that country's
 * drill-down and the "what if" dry run of a rule for it.
 */
export const monitoringPage: AdminPage = {
  nav: {
    id: 'monitoring',
    label: 'admin:nav.monitoring',
    path: MONITORING_PATH,
    permission: 'monitoring.read',
    order: 45,
  },
  routes: [
    {
      method: 'get',
      path: MONITORING_PATH,
      permission: 'monitoring.read',
      async handle({ req, admin, site, render }) {
        const now = site.context.clock();
        const { form, filter } = readMonitoringFilter(req.query, now);
        const sort = readSort(ATTEMPTS_GRID, req.query, DEFAULT_SORT);
        const paging = readPaging(req.query);
        const stats = site.context.core.repositories.attemptStatistics;
        const language = site.language(req);
        const { t, map: mapText, series } = words(site, language);
        // The map shows every country of the filter; the chosen country is the drill-down's.
        const { country: _chosen, ...mapFilter } = filter;
        const drilling = form.country !== '' && form.country !== NO_COUNTRY;
        const [placed, total, rows, map, drill, chartRows] = await Promise.all([
          site.grids.columns(admin.user.id, ATTEMPTS_GRID),
          stats.count(filter),
          stats.search(filter, attemptSort(sort), paging.size, (paging.page - 1) * paging.size),
          stats.map(mapFilter),
          drilling ? stats.drillDown(filter) : undefined,
          drilling ? undefined : stats.byDayAndResult(filter),
        ]);
        worldMap ??= new WorldMap();
        const mapSvg = worldMap.render({
          counts: map.counts,
          marked: map.marked,
          href: (code) => `${link(form, { country: code })}#drill-down`,
          text: mapText,
        });
        const chart = renderAttemptsChart({
          rows: drill ? drill.byDayAndResult : (chartRows ?? []),
          from: Math.max(filter.from, firstDay(drill?.byDay, chartRows, filter.from)),
          to: Math.min(filter.to - 1, now),
          series,
          title: t('chart.title'),
          description: t('chart.description'),
          dayHeader: t('chart.day'),
        });
        const grid = gridView({
          grid: ATTEMPTS_GRID,
          path: MONITORING_PATH,
          placed,
          rows,
          key: (a) => a.id,
          total,
          sort,
          paging,
          filters: monitoringQuery(form),
          translate: (key) => site.t(language, key),
        });
        const csv = `${MONITORING_PATH}.csv?${new URLSearchParams({ ...monitoringQuery(form), sort: sort.column, dir: sort.direction })}`;
        await render('monitoring', {
          form,
          periods: Object.keys(MONITORING_PERIODS),
          results: RESULT_CHOICES,
          mapSvg,
          countries: [...map.counts].sort((a, b) => b[1] - a[1]),
          marked: [...map.marked].sort(),
          countryName: (code: string) => countryName(code) ?? code,
          chart,
          grid,
          csv,
          drill: drill && {
            country: form.country,
            name: countryName(form.country) ?? form.country,
            marked: map.marked.has(form.country),
            ...drill,
          },
          link: (changes: Partial<MonitoringForm>) => link(form, changes),
          canCreateRules: allows(admin.role, 'policies.write'),
          whatIf: `${MONITORING_PATH}/what-if`,
        });
      },
    },
    {
      method: 'get',
      path: `${MONITORING_PATH}.csv`,
      permission: 'monitoring.read',
      async handle({ req, res, admin, site }) {
        const now = site.context.clock();
        const { filter } = readMonitoringFilter(req.query, now);
        const sort = attemptSort(readSort(ATTEMPTS_GRID, req.query, DEFAULT_SORT));
        const language = site.language(req);
        await writeGridCsv(res, {
          name: `passgate-attempts-${auditTime(now).slice(0, 10)}`,
          placed: await site.grids.columns(admin.user.id, ATTEMPTS_GRID),
          translate: (key) => site.t(language, key),
          rows: (limit, offset) =>
            site.context.core.repositories.attemptStatistics.search(filter, sort, limit, offset),
        });
      },
    },
    ...whatIfRoutes(MONITORING_PATH),
    ...columnRoutes(ATTEMPTS_GRID, MONITORING_PATH),
  ],
};

/** The grid's sort as the store takes it (every sortable column of the grid is one). */
function attemptSort(sort: GridSort): AttemptSort {
  return {
    column: isAttemptSortColumn(sort.column) ? sort.column : 'at',
    direction: sort.direction,
  };
}

/** The chart's first day: the filter's start, or for "all time" filters the first day with attempts. */
function firstDay(
  days: ReadonlyArray<{ key: number }> | undefined,
  rows: ReadonlyArray<{ day: number }> | undefined,
  from: number,
): number {
  const first = days?.[0]?.key ?? rows?.[0]?.day;
  return from > 0 || first === undefined ? from : first;
}
