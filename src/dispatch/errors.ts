import { defineErrors } from '../errors.js';

/**
 * Errors of passcode delivery. DISPATCH_FAILED and NO_GATEWAY reach users (through the doors);
 * the GATEWAY_* codes describe one attempt and end up in delivery_attempts and the log.
 */
export const DispatchErrors = defineErrors({
  DISPATCH_FAILED: {
    status: 503,
    publicMessage: 'The passcode could not be sent. Try another method or contact your administrator.',
  },
  NO_GATEWAY: {
    status: 503,
    publicMessage:
      'Passcodes cannot be sent this way at the moment. Try another method or contact your administrator.',
  },
  GATEWAY_REJECTED: { status: 502, publicMessage: 'The message gateway refused the message.' },
  GATEWAY_UNAVAILABLE: { status: 503, publicMessage: 'The message gateway cannot be reached.' },
  GATEWAY_TIMEOUT: { status: 504, publicMessage: 'The message gateway did not answer in time.' },
  GATEWAY_MISCONFIGURED: { status: 500, publicMessage: 'A message gateway is not configured correctly.' },
  RECEIPT_UNAUTHORIZED: { status: 401, publicMessage: 'The delivery receipt is not authenticated.' },
  RECEIPT_FORBIDDEN: { status: 403, publicMessage: 'The delivery receipt carries a wrong secret.' },
  RECEIPT_UNKNOWN_GATEWAY: { status: 404, publicMessage: 'No gateway takes delivery receipts here.' },
  RECEIPT_INVALID: { status: 400, publicMessage: 'The delivery receipt cannot be read.' },
});
