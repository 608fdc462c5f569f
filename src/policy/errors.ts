import { defineErrors } from '../errors.js';

/** Errors of policy management. */
export const PolicyErrors = defineErrors({
  POLICY_INVALID: { status: 400, publicMessage: 'The policy is not valid.' },
  POLICY_UNKNOWN_KIND: { status: 400, publicMessage: 'No such kind of policy.' },
  POLICY_NOT_FOUND: { status: 404, publicMessage: 'No such policy.' },
});
