import { defineErrors } from '../errors.js';

/** Errors of device approval (the door, the Device Provisioning site, the admin site and the CLI alike). */
export const DeviceErrors = defineErrors({
  DEVICE_NOT_FOUND: { status: 404, publicMessage: 'No such device.' },
  DEVICE_DECIDED: {
    status: 409,
    publicMessage: 'This device has been rejected; only an administrator can clear it.',
  },
});
