import { z } from 'zod';
import { sessionIdleMinutesSetting, sessionMaxHoursSetting } from './site-session-schema.js';

/** The longest `selfservice.sessionMaxHours` allowed: no session cookie is valid longer. */
export const SESSION_MAX_HOURS_LIMIT = 24;

/** The self-service site (`/selfservice`): sessions and the rules of self-enrolment. */
export const selfserviceSchema = z
  .strictObject({
    firstEnrolmentWindowDays: z
      .number()
      .int()
      .min(0)
      .max(3650)
      .default(14)
      .describe(
        'Days after a user account appears in Passgate (created locally, or first synchronised or signed in from AD) ' +
          'during which a user without any second factor may enrol a first one with the password alone. ' +
          'Later, a helpdesk enrols it (`passgate token add`). 0 turns password-only first enrolment off.',
      ),
    sessionIdleMinutes: sessionIdleMinutesSetting('A self-service'),
    sessionMaxHours: sessionMaxHoursSetting('A self-service', SESSION_MAX_HOURS_LIMIT),
    pendingEnrolmentMinutes: z
      .number()
      .int()
      .min(1)
      .max(1440)
      .default(10)
      .describe(
        'An authenticator being added stays unconfirmed (pending) for at most this many minutes: its secret and QR code ' +
          'are shown only in the self-service session that started it, and an unconfirmed one is removed after this time.',
      ),
    mobileChange: z
      .boolean()
      .default(false)
      .describe(
        'Users may change their own mobile number, in a session signed in with a second factor, confirmed by an SMS ' +
          'passcode sent to the new number. The number is stored on their sms and voice tokens, so AD sync does not overwrite it.',
      ),
    defaultCountry: z
      .string()
      .regex(/^[A-Z]{2}$/, 'expected an ISO 3166 country code such as FR')
      .optional()
      .describe(
        'Country assumed for a mobile number typed without +; default: `directory.sync.defaultCountry` with AD, else US.',
      ),
  })
  .prefault({})
  .describe(
    'Self-service site: users sign in with MFA, see their tokens and logins, enrol and remove software tokens, change their mobile number.',
  );
