import { defineErrors } from '../errors.js';

/** Outcomes of a first-factor check that are not success. */
export const DirectoryErrors = defineErrors({
  INVALID_CREDENTIALS: { status: 401, publicMessage: 'The user name or password is incorrect.' },
  ACCOUNT_DISABLED: { status: 403, publicMessage: 'Your account is disabled. Contact your administrator.' },
  DIRECTORY_UNAVAILABLE: {
    status: 503,
    publicMessage: 'Sign-in is temporarily unavailable. Please try again shortly.',
  },
});
