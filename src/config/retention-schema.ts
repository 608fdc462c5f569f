import { z } from 'zod';

/**
 * How long rows that have served their purpose stay in the database before the clean-up job
 * (every `cleanUpIntervalSeconds`) deletes them. Rows that guard against replays (SAML request ids, revoked
 * sessions) and sign-ins in progress are kept exactly until they expire, whatever is set here.
 */
export const retentionSchema = z
  .strictObject({
    cleanUpIntervalSeconds: z
      .number()
      .int()
      .min(1)
      .max(3600)
      .default(60)
      .describe(
        'Seconds between two runs of the clean-up job; of several workers (`server.workers`), one runs it.',
      ),
    throttleHours: z
      .number()
      .int()
      .min(1)
      .max(8760)
      .default(24)
      .describe(
        'Hours a sign-in throttle counter is kept after its window started (and any block ended); counters of quiet users and addresses go then. ' +
          'At least as long as the longest throttle window (`loginThrottle.*.windowSeconds`, `mfa.userWindowSeconds`), or counting would start again early.',
      ),
    passcodesMinutes: z
      .number()
      .int()
      .min(1)
      .max(10080)
      .default(60)
      .describe(
        'Minutes a sent passcode (its keyed hash, never the code) is kept after it expired: `mfa.passcodeLimit` counts the passcodes of its window, ' +
          'so at least `mfa.passcodeLimit.windowSeconds`.',
      ),
    challengesMinutes: z
      .number()
      .int()
      .min(0)
      .max(10080)
      .default(60)
      .describe(
        'Minutes the record of a second-factor step (a sign-in, a change of mobile number) is kept after it expired; it can no longer be answered.',
      ),
    deliveryAttemptsDays: z
      .number()
      .int()
      .min(1)
      .max(3650)
      .default(90)
      .describe(
        'Days each delivery attempt of a passcode message (gateway, outcome, delivery receipt; no passcode) is kept, to trace a message that did not arrive.',
      ),
    attemptsDays: z
      .number()
      .int()
      .min(1)
      .max(3650)
      .default(180)
      .describe(
        'Days each sign-in attempt (time, user, door, application, address, country, result; what monitoring counts and maps) is kept; older ones are deleted in batches.',
      ),
  })
  .prefault({})
  .describe(
    'How long expired rows are kept before the clean-up job deletes them; replay guards and sign-ins in progress are kept until they expire.',
  );
