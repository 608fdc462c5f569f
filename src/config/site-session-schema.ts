import { z } from 'zod';

/** A site's `sessionIdleMinutes` setting (1–120, default 15), one definition for every site with sessions. */
export function sessionIdleMinutesSetting(site: string) {
  return z
    .number()
    .int()
    .min(1)
    .max(120)
    .default(15)
    .describe(`${site} session ends after this many minutes without a request.`);
}

/** A site's `sessionMaxHours` setting (1 to the site's limit, default 8), one definition for every site with sessions. */
export function sessionMaxHoursSetting(site: string, limit: number) {
  return z
    .number()
    .int()
    .min(1)
    .max(limit)
    .default(8)
    .describe(`${site} session ends this many hours after its sign-in, however active.`);
}
