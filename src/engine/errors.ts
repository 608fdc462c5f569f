import { defineErrors } from '../errors.js';

/** Errors of the authentication engine itself (the directory has its own). */
export const EngineErrors = defineErrors({
  THROTTLED: { status: 429, publicMessage: 'Too many attempts. Please wait a few minutes and try again.' },
  MISSING_CREDENTIALS: { status: 400, publicMessage: 'Enter your user name and password.' },
});
