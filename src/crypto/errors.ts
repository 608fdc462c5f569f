import { defineErrors } from '../errors.js';

/** Errors of secret encryption. */
export const SecretBoxErrors = defineErrors({
  SECRET_UNDECRYPTABLE: { status: 500, publicMessage: 'A stored secret cannot be read.' },
});
