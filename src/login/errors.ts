import { defineErrors } from '../errors.js';

/** Errors of the hosted login flow itself. */
export const LoginErrors = defineErrors({
  LOGIN_EXPIRED: {
    status: 400,
    publicMessage: 'This sign-in page has expired. Go back to the application and start again.',
  },
});
