import { defineErrors } from '../errors.js';

/** Requests the sites refuse before any of them looks at the request. */
export const WebErrors = defineErrors({
  BAD_HOST: {
    status: 400,
    publicMessage:
      'The request named the server in a way that is not valid. Check the address and try again.',
  },
  RATE_LIMITED: {
    status: 429,
    publicMessage: 'Too many requests from your network. Please wait a moment and try again.',
  },
});
