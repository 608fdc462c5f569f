import type { Migration } from 'kysely';
import * as initial from './0001-initial.js';
import * as secondFactor from './0002-second-factor.js';
import * as directoryUsers from './0003-directory-users.js';
import * as loginContext from './0004-login-context.js';
import * as samlRequests from './0005-saml-requests.js';
import * as samlFlows from './0006-saml-flows.js';
import * as pendingEnrolments from './0007-pending-enrolments.js';
import * as revokedSessions from './0008-revoked-sessions.js';
import * as samlRequirements from './0009-saml-requirements.js';
import * as loginFlows from './0010-login-flows.js';
import * as signingKeyActivation from './0011-signing-key-activation.js';
import * as sessions from './0012-sessions.js';
import * as sessionIndexLookup from './0013-session-index-lookup.js';
import * as seats from './0014-seats.js';
import * as gridPreferences from './0015-grid-preferences.js';
import * as userSearch from './0016-user-search.js';
import * as signInAttempts from './0017-sign-in-attempts.js';
import * as throttleRules from './0019-throttle-rules.js';
import * as partialOidcIndexes from './0020-partial-oidc-indexes.js';
import * as deliveryStatistics from './0023-delivery-statistics.js';
import * as attemptDays from './0024-attempt-days.js';
import * as passwordReminders from './0025-password-reminders.js';
import * as devices from './0026-devices.js';
import * as attemptCountryDays from './0028-attempt-country-days.js';
import * as attemptCountryHours from './0031-attempt-country-hours.js';

/**
 * Every migration, in order. Names sort lexically; a new migration is one file plus one line
 * here. Migrations only go up: a release never needs to undo one, and a failing one is rolled
 * back as a whole by the transaction it runs in.
 */
export const migrations: Record<string, Migration> = {
  '0001-initial': initial,
  '0002-second-factor': secondFactor,
  '0003-directory-users': directoryUsers,
  '0004-login-context': loginContext,
  '0005-saml-requests': samlRequests,
  '0006-saml-flows': samlFlows,
  '0007-pending-enrolments': pendingEnrolments,
  '0008-revoked-sessions': revokedSessions,
  '0009-saml-requirements': samlRequirements,
  '0010-login-flows': loginFlows,
  '0011-signing-key-activation': signingKeyActivation,
  '0012-sessions': sessions,
  '0013-session-index-lookup': sessionIndexLookup,
  '0014-seats': seats,
  '0015-grid-preferences': gridPreferences,
  '0016-user-search': userSearch,
  '0017-sign-in-attempts': signInAttempts,
  '0019-throttle-rules': throttleRules,
  '0020-partial-oidc-indexes': partialOidcIndexes,
  '0023-delivery-statistics': deliveryStatistics,
  '0024-attempt-days': attemptDays,
  '0025-password-reminders': passwordReminders,
  '0026-devices': devices,
  '0028-attempt-country-days': attemptCountryDays,
  '0031-attempt-country-hours': attemptCountryHours,
};
