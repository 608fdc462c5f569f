import { defineErrors } from '../errors.js';

/** Errors of the authentication engine itself (the directory has its own). */
export const EngineErrors = defineErrors({
  THROTTLED: { status: 429, publicMessage: 'Too many attempts. Please wait a few minutes and try again.' },
  MISSING_CREDENTIALS: { status: 400, publicMessage: 'Enter your user name and password.' },
});

/** Outcomes of a second-factor step that are not success. */
export const MfaErrors = defineErrors({
  MFA_INVALID_CODE: { status: 401, publicMessage: 'The code is not correct. Check it and try again.' },
  MFA_THROTTLED: { status: 429, publicMessage: 'Too many attempts. Please wait a moment and try again.' },
  MFA_LOCKED: {
    status: 423,
    publicMessage:
      'Your second factor is locked after too many failed attempts. Try again later or contact your administrator.',
  },
  MFA_NO_FACTOR: { status: 403, publicMessage: 'You have no second factor that can be used here.' },
  MFA_CHALLENGE_EXPIRED: { status: 400, publicMessage: 'This sign-in step has expired. Start again.' },
  MFA_RESEND_TOO_SOON: {
    status: 429,
    publicMessage: 'A passcode was just sent. Wait a moment before asking for another one.',
  },
  MFA_PASSCODE_LIMIT: {
    status: 429,
    publicMessage:
      'Too many passcodes were sent to you in a short time, so no more are sent for now. Use another method if you have one, or start the sign-in again later.',
  },
  MFA_NO_CHANNEL: {
    status: 403,
    publicMessage:
      'No passcode can be sent to you: no phone number or e-mail address is known. Contact your administrator.',
  },
});

/** Refusals of the operations administrators run on a user (CLI, administration site). */
export const UserOperationErrors = defineErrors({
  USER_NOT_FOUND: { status: 404, publicMessage: 'No such user.' },
  USER_NOT_LOCAL: {
    status: 409,
    publicMessage: 'This user comes from the directory: change it there.',
  },
  USER_PASSWORD_TOO_SHORT: {
    status: 400,
    publicMessage: 'The password must have at least 8 characters.',
  },
  USER_NAME_INVALID: {
    status: 400,
    publicMessage: 'The user name may contain letters, digits and . _ - @ only.',
  },
  TOKEN_NOT_OF_USER: { status: 404, publicMessage: 'This user has no such token.' },
  TOKEN_SERIAL_NOT_FOUND: {
    status: 404,
    publicMessage: 'No imported hardware token has this serial number.',
  },
  TOKEN_NOT_HARDWARE: {
    status: 409,
    publicMessage: 'Only a hardware token can be assigned by its serial number.',
  },
});
