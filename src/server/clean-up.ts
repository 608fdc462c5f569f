import type { Config } from '../config/load.js';
import type { PruneJob } from '../doors/door.js';
import { describeError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { Core } from './core.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * The engine's own prune jobs, with the retention periods of the configuration (`retention`):
 * throttle counters, passcodes, second-factor steps, delivery attempts, sign-in attempts and
 * learned trust.
 */
export function enginePruneJobs(core: Core, retention: Config['retention']): PruneJob[] {
  const { repositories } = core;
  return [
    {
      name: 'throttle counters',
      retentionMs: retention.throttleHours * HOUR,
      prune: (olderThan) => repositories.throttle.prune(olderThan),
    },
    {
      name: 'passcodes',
      retentionMs: retention.passcodesMinutes * MINUTE,
      prune: (olderThan) => repositories.passcodes.prune(olderThan),
    },
    {
      name: 'challenges',
      retentionMs: retention.challengesMinutes * MINUTE,
      prune: (olderThan) => repositories.challenges.prune(olderThan),
    },
    {
      name: 'delivery attempts',
      retentionMs: retention.deliveryAttemptsDays * DAY,
      prune: (olderThan) => repositories.deliveryAttempts.prune(olderThan),
    },
    {
      name: 'sign-in attempts',
      retentionMs: retention.attemptsDays * DAY,
      prune: (olderThan) => repositories.signInAttempts.prune(olderThan),
    },
    // Single sign-on sessions go once over (absolute end, idle time, revocation), with their applications.
    {
      name: 'sessions',
      retentionMs: 0,
      prune: (olderThan) =>
        repositories.sessions.prune(olderThan, { idleMs: core.config.sessions.idleMinutes * MINUTE }),
    },
    // Learned networks expire after `policies.learning.withinDays`: the module applies it itself.
    { name: 'learned trust', retentionMs: 0, prune: () => core.learnedTrust.prune() },
  ];
}

/**
 * Runs every prune job once at `now`, each with its own retention. A failing job is logged and
 * the others still run; the run then rejects with the first failure (tests see it).
 */
export async function runPruneJobs(jobs: PruneJob[], now: number, logger: Logger): Promise<void> {
  const failures: unknown[] = [];
  for (const job of jobs) {
    try {
      await job.prune(now - job.retentionMs);
    } catch (error) {
      failures.push(error);
      logger.warn({ job: job.name, error: describeError(error) }, 'prune job failed');
    }
  }
  if (failures.length > 0) throw failures[0];
}

/** Runs `job` every `ms` (never two at once); a failure is logged and the next run comes anyway. */
export function every(ms: number, logger: Logger, name: string, job: () => Promise<unknown>): NodeJS.Timeout {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    job()
      .catch((error) => logger.warn({ job: name, error: describeError(error) }, 'background job failed'))
      .finally(() => {
        running = false;
      });
  }, ms);
  timer.unref();
  return timer;
}
