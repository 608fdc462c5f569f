import { defineErrors } from '../../../errors.js';

/** Errors of learned trusted networks and their administration (`passgate trust`). */
export const TrustErrors = defineErrors({
  TRUST_ADDRESS_INVALID: { status: 400, publicMessage: 'Not an IP address or network.' },
  TRUST_NETWORK_NOT_FOUND: { status: 404, publicMessage: 'No such learned network.' },
  TRUST_INVALID_ARGUMENTS: { status: 400, publicMessage: 'Invalid arguments.' },
});
