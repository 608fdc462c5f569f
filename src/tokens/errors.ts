import { defineErrors } from '../errors.js';

/** Errors of token enrolment and management. */
export const TokenErrors = defineErrors({
  TOKEN_INVALID_SECRET: { status: 400, publicMessage: 'The token secret is not valid.' },
  TOKEN_INVALID_PARAMETERS: { status: 400, publicMessage: 'The token settings are not valid.' },
  TOKEN_NOT_FOUND: { status: 404, publicMessage: 'No such token.' },
  TOKEN_RESYNC_FAILED: { status: 400, publicMessage: 'The two codes could not be matched to the token.' },
});
