import { defineErrors } from '../../errors.js';

/** Errors of the Device Provisioning site; its pages show `devices:errors.<code>` in the user's language. */
export const DeviceSiteErrors = defineErrors({
  DEVICES_SIGNED_OUT: {
    status: 401,
    publicMessage: 'Your session on the device site has ended. Sign in again.',
  },
});
