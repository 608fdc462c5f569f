import { defineErrors } from '../../errors.js';

/** Refusals of the reset site's own steps (the directory's and the engine's keep their codes). */
export const ResetErrors = defineErrors({
  RESET_EXPIRED: {
    status: 400,
    publicMessage: 'This password reset has ended or was already used. Start again.',
  },
  RESET_PASSWORDS_DIFFER: { status: 400, publicMessage: 'The two passwords are not the same.' },
  RESET_PASSWORD_MISSING: { status: 400, publicMessage: 'Type the new password twice.' },
  RESET_NAME_MISSING: { status: 400, publicMessage: 'Type your user name.' },
  RESET_THROTTLED: {
    status: 429,
    publicMessage: 'Too many attempts. Wait a while before you try again.',
  },
  RESET_ACTION_NOT_OFFERED: { status: 404, publicMessage: 'This site does not offer that action.' },
});
