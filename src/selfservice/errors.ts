import { defineErrors } from '../errors.js';

/** Errors of the self-service site; the pages show `selfservice:errors.<code>` in the user's language. */
export const SelfServiceErrors = defineErrors({
  SELFSERVICE_SIGNED_OUT: {
    status: 401,
    publicMessage: 'Your self-service session has ended. Sign in again.',
  },
  ENROL_NEEDS_MFA: {
    status: 403,
    publicMessage: 'To add a new factor, sign in again with a second factor you already have.',
  },
  ENROL_WINDOW_CLOSED: {
    status: 403,
    publicMessage: 'The period for setting up your first factor yourself has ended. Contact your helpdesk.',
  },
  ENROL_SKIPPED_NETWORK: {
    status: 403,
    publicMessage:
      'You signed in from a network where no second factor is asked. Set up your first factor from another network.',
  },
  ENROL_NO_PROFILE: { status: 400, publicMessage: 'Choose one of the offered authenticator types.' },
  TOKEN_NOT_YOURS: { status: 404, publicMessage: 'This token does not exist or is not yours.' },
  ENROL_INVALID_CODE: { status: 400, publicMessage: 'The code is not correct. Check it and try again.' },
  LAST_FACTOR: {
    status: 409,
    publicMessage: 'This is your last second factor and one is required. Add another one before removing it.',
  },
  REMOVE_NEEDS_MFA: {
    status: 403,
    publicMessage: 'To remove a factor, sign in again with a second factor.',
  },
});
