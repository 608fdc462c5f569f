/**
 * What became of a sign-in attempt: the one list monitoring, metrics and the store share (the
 * `result` of a sign_in_attempts row, the `result` label of `passgate_sign_in_attempts_total`).
 */
export const ATTEMPT_RESULTS = [
  'success',
  'wrong_password',
  'wrong_code',
  'denied',
  'locked',
  'disabled',
  'password_expired',
  'throttled',
  'no_method',
  'expired',
  'directory_unavailable',
  'device_held',
  'unknown_user',
  'password_rejected',
  'error',
] as const;

/** One of {@link ATTEMPT_RESULTS}. */
export type AttemptResult = (typeof ATTEMPT_RESULTS)[number];

/** The result each refusal of the engine stands for, by its error code. */
const RESULT_OF_CODE: Readonly<Record<string, AttemptResult>> = {
  INVALID_CREDENTIALS: 'wrong_password',
  MISSING_CREDENTIALS: 'wrong_password',
  ACCOUNT_LOCKED: 'locked',
  ACCOUNT_DISABLED: 'disabled',
  PASSWORD_EXPIRED: 'password_expired',
  PASSWORD_MUST_CHANGE: 'password_expired',
  THROTTLED: 'throttled',
  DIRECTORY_UNAVAILABLE: 'directory_unavailable',
  MFA_INVALID_CODE: 'wrong_code',
  MFA_LOCKED: 'locked',
  MFA_THROTTLED: 'throttled',
  MFA_NO_FACTOR: 'no_method',
  MFA_NO_CHANNEL: 'no_method',
  MFA_CHALLENGE_EXPIRED: 'expired',
  ACCESS_DENIED: 'denied',
  PASSWORD_REJECTED: 'password_rejected',
};

/** The result of an attempt refused with error `code` (`error` for a code no result names). */
export function resultOfCode(code: string): AttemptResult {
  return RESULT_OF_CODE[code] ?? 'error';
}

/** True for a value of {@link ATTEMPT_RESULTS} (filters taken from a URL). */
export function isAttemptResult(value: string): value is AttemptResult {
  return (ATTEMPT_RESULTS as readonly string[]).includes(value);
}
