import type { Request } from 'express';
import { ATTEMPT_RESULTS, isAttemptResult } from '../../../attempts/results.js';
import { isCountryCode } from '../../../geo/countries.js';
import type { AttemptFilter } from '../../../store/repositories/attempt-statistics.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** The period presets of the monitoring filter, in hours; `custom` takes the from/to days. */
export const MONITORING_PERIODS: Record<string, number | null> = {
  '1h': 1,
  '24h': 24,
  '7d': 168,
  '30d': 720,
  '90d': 2160,
  '180d': 4320,
  custom: null,
};

/** The result choices: any, every failure, or one result. */
export const RESULT_CHOICES = ['failures', ...ATTEMPT_RESULTS] as const;

/** `country=` for the attempts without a country (private and unknown addresses). */
export const NO_COUNTRY = 'none';

/** The filter form's values as typed: shown again, and kept in every link of the page. */
export interface MonitoringForm {
  period: string;
  from: string;
  to: string;
  result: string;
  door: string;
  application: string;
  user: string;
  country: string;
  method: string;
  rule: string;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const validDay = (value: string) => DATE.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`));

/**
 * Reads the monitoring filter from a query string: every value is checked (an unknown period,
 * result or country is dropped, never an error), so a link reproduces exactly the view it was
 * copied from, and a doctored one shows the default view instead of failing.
 */
export function readMonitoringFilter(
  query: Request['query'],
  now: number,
): { form: MonitoringForm; filter: AttemptFilter } {
  const field = (name: string, max = 200) => {
    const value = query[name];
    return typeof value === 'string' ? value.trim().slice(0, max) : '';
  };
  const period = field('period') in MONITORING_PERIODS ? field('period') : '30d';
  const custom = period === 'custom';
  const from = custom && validDay(field('from')) ? field('from') : '';
  const to = custom && validDay(field('to')) ? field('to') : '';
  const result = (RESULT_CHOICES as readonly string[]).includes(field('result')) ? field('result') : '';
  const countryField = field('country').toUpperCase();
  const country =
    countryField === NO_COUNTRY.toUpperCase() ? NO_COUNTRY : isCountryCode(countryField) ? countryField : '';
  const form: MonitoringForm = {
    period,
    from,
    to,
    result,
    door: field('door', 40),
    application: field('application'),
    user: field('user'),
    country,
    method: field('method', 40),
    rule: field('rule', 64),
  };
  const hours = MONITORING_PERIODS[period];
  const filter: AttemptFilter = {
    from: custom ? (from ? Date.parse(`${from}T00:00:00Z`) : 0) : now - (hours ?? 0) * HOUR,
    to: custom && to ? Date.parse(`${to}T00:00:00Z`) + DAY : now + 1,
  };
  if (result === 'failures') filter.results = ATTEMPT_RESULTS.filter((r) => r !== 'success');
  else if (result && isAttemptResult(result)) filter.results = [result];
  if (form.door) filter.door = form.door;
  if (form.application) filter.application = form.application;
  if (form.user) filter.user = form.user;
  if (country) filter.country = country === NO_COUNTRY ? null : country;
  if (form.method) filter.method = form.method;
  if (form.rule) filter.rule = form.rule;
  return { form, filter };
}

/** The non-empty values of the form, as the query of a link (the period always, so a link is exact). */
export function monitoringQuery(
  form: MonitoringForm,
  changes: Partial<MonitoringForm> = {},
): Record<string, string> {
  return Object.fromEntries(Object.entries({ ...form, ...changes }).filter(([, value]) => value !== ''));
}
