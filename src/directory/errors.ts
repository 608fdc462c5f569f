import { defineErrors } from '../errors.js';

/** Outcomes of a first-factor check that are not success. */
export const DirectoryErrors = defineErrors({
  INVALID_CREDENTIALS: { status: 401, publicMessage: 'The user name or password is incorrect.' },
  ACCOUNT_DISABLED: { status: 403, publicMessage: 'Your account is disabled. Contact your administrator.' },
  // The reasons below come from Active Directory. Users see the generic message for those that
  // would tell an attacker something; expired or must-change passwords lead to the reset site.
  ACCOUNT_LOCKED: { status: 401, publicMessage: 'The user name or password is incorrect.' },
  ACCOUNT_EXPIRED: { status: 401, publicMessage: 'The user name or password is incorrect.' },
  LOGON_RESTRICTED: { status: 401, publicMessage: 'The user name or password is incorrect.' },
  PASSWORD_EXPIRED: {
    status: 403,
    publicMessage: 'Your password has expired. Change it before you sign in.',
  },
  PASSWORD_MUST_CHANGE: { status: 403, publicMessage: 'You must change your password before you sign in.' },
  PASSWORD_REJECTED: {
    status: 400,
    publicMessage: 'The new password does not meet the password policy (length, complexity or history).',
  },
  // The connection to AD is not encrypted (ldap:// without StartTLS): a new password would cross
  // the network in clear before AD refused it. The administrator reads why in the log and audit.
  PASSWORD_WRITE_UNENCRYPTED: {
    status: 503,
    publicMessage: 'Passwords cannot be changed here just now. Contact your helpdesk.',
  },
  DIRECTORY_UNAVAILABLE: {
    status: 503,
    publicMessage: 'Sign-in is temporarily unavailable. Please try again shortly.',
  },
  AMBIGUOUS_LOGIN_NAME: { status: 401, publicMessage: 'The user name or password is incorrect.' },
});

/** The rule a refused new password broke, as far as the directory said (`policy`: it did not say which). */
export type PasswordRefusal = 'tooShort' | 'complexity' | 'history' | 'tooRecent' | 'policy';

/**
 * The cause of a PASSWORD_REJECTED that names the rule broken: the code stays PASSWORD_REJECTED
 * for every caller, and a page that explains the rule reads it with {@link passwordRefusal}.
 */
export class PasswordRefusalCause extends Error {
  constructor(
    readonly refusal: PasswordRefusal,
    cause: unknown,
  ) {
    super(`password refused: ${refusal}`, { cause });
  }
}

/** Which rule a PASSWORD_REJECTED broke; `policy` when the directory did not say. */
export function passwordRefusal(error: unknown): PasswordRefusal {
  const cause = (error as { cause?: unknown } | undefined)?.cause;
  return cause instanceof PasswordRefusalCause ? cause.refusal : 'policy';
}
