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
  /** A users-grid search the store cannot run (a page link from another sort, a page size out of range). */
  USER_SEARCH_INVALID: {
    status: 400,
    publicMessage: 'This search or page link is not valid; start the search again.',
  },
});
