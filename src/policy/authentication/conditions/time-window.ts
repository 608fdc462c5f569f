import { z } from 'zod';
import { condition } from './condition.js';

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
const hhmm = z
  .string()
  .regex(/^(([01]\d|2[0-3]):[0-5]\d|24:00)$/, 'expected a time as HH:MM from 00:00 to 24:00, e.g. 08:00');

const isTimeZone = (zone: string) => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
};

const minutesOf = (time: string) => Number(time.slice(0, 2)) * 60 + Number(time.slice(3));

/**
 * The login happens on one of these weekdays, between two times of day, in a time zone. A window
 * whose end is before its start runs over midnight (22:00–06:00); the end is excluded. The day
 * is the login's local day.
 */
export const time = condition({
  key: 'time',
  schema: z.strictObject({
    days: z.array(z.enum(DAYS)).min(1).default(['mon', 'tue', 'wed', 'thu', 'fri']),
    from: hhmm.default('00:00'),
    to: hhmm.default('24:00'),
    timeZone: z
      .string()
      .default('UTC')
      .refine(isTimeZone, {
        error: (issue) => `"${String(issue.input)}" is not an IANA time zone (e.g. Europe/Berlin)`,
      }),
  }),
  compile(value) {
    const format = new Intl.DateTimeFormat('en-US', {
      timeZone: value.timeZone,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    const days = new Set<string>(value.days);
    const from = minutesOf(value.from);
    const to = minutesOf(value.to);
    const inWindow = (at: number) => {
      let weekday = '';
      let minutes = 0;
      for (const part of format.formatToParts(at)) {
        if (part.type === 'weekday') weekday = part.value.toLowerCase();
        else if (part.type === 'hour') minutes += Number(part.value) * 60;
        else if (part.type === 'minute') minutes += Number(part.value);
      }
      if (!days.has(weekday)) return false;
      return from <= to ? minutes >= from && minutes < to : minutes >= from || minutes < to;
    };
    // Every time zone's offset is whole minutes, so the answer holds for the whole minute:
    // formatting a date costs microseconds, and a login checks many rules.
    let cached = { minute: Number.NaN, answer: false };
    return ({ at }) => {
      const minute = Math.floor(at / 60_000);
      if (cached.minute !== minute) cached = { minute, answer: inWindow(at) };
      return cached.answer;
    };
  },
});
