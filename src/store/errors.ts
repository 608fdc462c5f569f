import { defineErrors } from '../errors.js';

/** Errors of the storage layer. */
export const StoreErrors = defineErrors({
  DB_UNREACHABLE: {
    status: 503,
    publicMessage: 'Sign-in is temporarily unavailable. Please try again shortly.',
  },
  MIGRATION_FAILED: {
    status: 503,
    publicMessage: 'Sign-in is temporarily unavailable. Please try again shortly.',
  },
  CONFLICT: { status: 409, publicMessage: 'This entry already exists.' },
  NOT_FOUND: { status: 404, publicMessage: 'Not found.' },
});
