import { defineErrors } from '../../errors.js';

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
  SESSION_NOT_YOURS: {
    status: 404,
    publicMessage: 'This session has already ended or is not yours.',
  },
  ENROL_EXPIRED: {
    status: 410,
    publicMessage:
      'This authenticator setup has expired or was started in another sign-in. Remove it and add the authenticator again.',
  },
  ENROL_INVALID_CODE: { status: 400, publicMessage: 'The code is not correct. Check it and try again.' },
  LAST_FACTOR: {
    status: 409,
    publicMessage: 'This is your last second factor and one is required. Add another one before removing it.',
  },
  REMOVE_NEEDS_MFA: {
    status: 403,
    publicMessage: 'To remove a factor, sign in again with a second factor.',
  },
  MOBILE_CHANGE_DISABLED: { status: 404, publicMessage: 'Changing your mobile number here is not offered.' },
  MOBILE_NEEDS_MFA: {
    status: 403,
    publicMessage: 'To change your mobile number, sign in again with a second factor.',
  },
  MOBILE_INVALID: {
    status: 400,
    publicMessage:
      'This is not a valid mobile number. Type it with its country code, e.g. +33 6 12 34 56 78.',
  },
  MOBILE_CHANGE_EXPIRED: {
    status: 404,
    publicMessage: 'This change of number does not exist or has expired. Start again.',
  },
  MOBILE_INVALID_CODE: {
    status: 400,
    publicMessage: 'The code is not correct. Check the text message and try again.',
  },
  MOBILE_TOO_MANY_ATTEMPTS: {
    status: 429,
    publicMessage: 'Too many wrong codes. Start the change of number again.',
  },
});
