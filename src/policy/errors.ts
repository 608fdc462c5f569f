import { defineErrors } from '../errors.js';

/** Errors of policy management. */
export const PolicyErrors = defineErrors({
  POLICY_INVALID: { status: 400, publicMessage: 'The policy is not valid.' },
  POLICY_UNKNOWN_KIND: { status: 400, publicMessage: 'No such kind of policy.' },
  POLICY_NOT_FOUND: { status: 404, publicMessage: 'No such policy.' },
  POLICY_EXISTS: { status: 409, publicMessage: 'A policy of that name exists already.' },
  POLICY_STALE: {
    status: 409,
    publicMessage: 'The policy was changed by someone else since it was read; nothing was written.',
  },
});
