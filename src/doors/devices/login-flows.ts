/** The door and application name of the Device Provisioning site in policies and the audit log. */
export const DEVICES_DOOR = 'devices';

/**
 * Why the hosted login asks for a second factor whatever the Authentication Policy says: a device
 * is approved by its owner's second factor, never by the password the device already holds.
 */
export const DEVICES_STEP_UP = 'device-approval';

/** How long a sign-in to the site may take. */
export const DEVICES_FLOW_MINUTES = 15;

/** The cookie binding a sign-in to the site in progress to its browser (path `/login/<uid>`). */
export const DEVICES_FLOW_COOKIE = 'passgate.devices.flow';

/** What a sign-in to the site keeps server-side while the hosted login runs: the page to go back to. */
export interface PendingDeviceSignIn {
  /** `/devices` or `/devices/approve/<id>` (built by the site, never taken from the request as is). */
  next: string;
}

/** The public id of a device as a link carries it (base64url); anything else is no device. */
export const DEVICE_PUBLIC_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Where a finished sign-in goes: the page it started from, or the list. */
export function returnPath(pending: Partial<PendingDeviceSignIn>): string {
  const next = pending.next ?? '';
  const approve = /^\/devices\/approve\/([^/?#]+)$/.exec(next);
  return approve && DEVICE_PUBLIC_ID.test(approve[1]!) ? next : '/devices';
}
