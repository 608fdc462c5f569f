import { defineErrors } from '../../errors.js';

/** Errors of the administration site; its pages show `admin:errors.<code>`. */
export const AdminErrors = defineErrors({
  ADMIN_FORBIDDEN: {
    status: 403,
    publicMessage: 'Your administration role does not allow this.',
  },
  ADMIN_NOT_ADMINISTRATOR: {
    status: 403,
    publicMessage: 'You are signed in, but you are not an administrator of Passgate.',
  },
  ADMIN_SIGNED_OUT: {
    status: 401,
    publicMessage: 'Your administration session has ended. Sign in again.',
  },
  ADMIN_NEEDS_MFA: {
    status: 403,
    publicMessage:
      'The administration site needs a second factor. Ask another administrator to enrol one for you.',
  },
  ADMIN_BAD_INPUT: {
    status: 400,
    publicMessage: 'Some of the values are not valid. Check them and try again.',
  },
  ADMIN_NOT_FOUND: { status: 404, publicMessage: 'This page does not exist.' },
  ADMIN_UPLOAD_TOO_LARGE: { status: 413, publicMessage: 'The file is too large.' },
  ADMIN_SESSION_NOT_FOUND: { status: 404, publicMessage: 'This user has no such session.' },
});
