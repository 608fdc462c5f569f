import { activesyncDoor } from '../doors/activesync/door.js';
import { adminDoor } from '../doors/admin/door.js';
import { devicesDoor } from '../doors/devices/door.js';
import type { Door } from '../doors/door.js';
import { oidcDoor } from '../doors/oidc/door.js';
import { radiusDoor } from '../doors/radius/door.js';
import { resetDoor } from '../doors/reset/door.js';
import { samlDoor } from '../doors/saml/deferred.js';
import { selfServiceDoor } from '../doors/selfservice/door.js';

/**
 * Every door, in mounting order: the server creates the enabled ones from this list and nothing
 * else. Adding a door is a folder under src/doors/ and one line here.
 */
export const DOORS = [
  oidcDoor,
  samlDoor,
  selfServiceDoor,
  resetDoor,
  radiusDoor,
  adminDoor,
  activesyncDoor,
  devicesDoor,
] as const;

/** The running doors by name (a door the configuration turns off is absent). */
export type RunningDoors = {
  [D in (typeof DOORS)[number] as D['name']]?: Awaited<ReturnType<D['create']>>;
};

/** A running door with its name, as the server holds it. */
export interface NamedDoor {
  name: string;
  door: Door;
}
