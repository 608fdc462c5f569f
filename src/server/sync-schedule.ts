import { SyncErrors } from '../directory/ad/errors.js';
import type { AdSync, SyncSummary } from '../directory/ad/sync.js';
import { describeError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { AuditRepository } from '../store/repositories/audit.js';

/** A background job that can be stopped, waiting for the run in progress to end. */
export interface ScheduledJob {
  stop(): Promise<void>;
}

/** How many invalid values a run names in the log (all of them are counted). */
const LOGGED_PROBLEMS = 20;

/**
 * AD synchronisation inside the server: a first run at start-up (full or incremental, whichever
 * is due), then one every `intervalMinutes`, never two at once. Every run is logged and audited,
 * failures included; stopping aborts the run in progress between two pages and waits for it.
 */
export function scheduleAdSync(
  sync: AdSync,
  audit: AuditRepository,
  logger: Logger,
  intervalMinutes: number,
): ScheduledJob {
  const stopping = new AbortController();
  let running: Promise<void> | undefined;
  const runOnce = async () => {
    const full = await sync.fullDue();
    let summary: SyncSummary;
    try {
      summary = await sync.run({ full, signal: stopping.signal });
    } catch (error) {
      if (stopping.signal.aborted) return;
      if (SyncErrors.is(error, 'SYNC_RUNNING')) {
        logger.info({ error: describeError(error) }, 'AD sync skipped: another run holds the lease');
        return;
      }
      await audit.record({
        type: 'directory.sync',
        outcome: 'failure',
        reason: error instanceof Error && 'code' in error ? String(error.code) : 'INTERNAL',
        details: { full, via: 'schedule', error: describeError(error) },
      });
      throw error;
    }
    const { problems, ...counts } = summary;
    for (const problem of problems.slice(0, LOGGED_PROBLEMS))
      logger.warn({ ...problem }, 'AD sync: value not imported');
    logger.info({ ...counts, problems: problems.length }, 'AD sync done');
    await audit.record({
      type: 'directory.sync',
      outcome: 'success',
      details: { ...counts, problems: problems.length, via: 'schedule' },
    });
  };
  const tick = () => {
    if (running || stopping.signal.aborted) return;
    running = runOnce()
      .catch((error) => logger.warn({ job: 'AD sync', error: describeError(error) }, 'background job failed'))
      .finally(() => {
        running = undefined;
      });
  };
  const first = setTimeout(tick, 0);
  const timer = setInterval(tick, intervalMinutes * 60_000);
  first.unref();
  timer.unref();
  return {
    stop: async () => {
      clearTimeout(first);
      clearInterval(timer);
      stopping.abort();
      await running;
    },
  };
}
