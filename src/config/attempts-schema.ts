import { z } from 'zod';

/**
 * The writer of sign-in attempts (the monitoring record of every door): attempts wait in a
 * bounded queue in memory and are written in batches, so that recording one never delays or
 * fails a sign-in; how long they are kept is `retention.attemptsDays`.
 */
export const attemptsSchema = z
  .strictObject({
    queueSize: z
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .default(10_000)
      .describe(
        'Attempts held in memory while they wait to be written (per process); when the database is slow or away and the queue is full, further attempts are dropped and counted (`passgate_sign_in_attempts_dropped_total`), sign-ins go on.',
      ),
    batchSize: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .default(500)
      .describe('Attempts written by one statement (one multi-row insert).'),
    flushMilliseconds: z
      .number()
      .int()
      .min(10)
      .max(60_000)
      .default(1000)
      .describe(
        'Longest time an attempt waits in memory before it is written (a full batch is written at once); also the pause before a failed write is tried again.',
      ),
  })
  .prefault({})
  .describe(
    'Recording of sign-in attempts for monitoring: every attempt of every door is one row, written in batches in the background.',
  );
