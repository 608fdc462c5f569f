import type { Door, DoorDefinition } from '../door.js';
import { createDeviceSite } from './create.js';

/**
 * The Device Provisioning site (`/devices`, docs/activesync.md): the owner of a held ActiveSync
 * device signs in with their second factor and approves or rejects it, and lists and removes
 * their devices. On with the ActiveSync door (`activesync.enabled`), whose notifications link here.
 */
export const devicesDoor: DoorDefinition<'devices', Door> = {
  name: 'devices',
  enabled: (config) => config.activesync.enabled,
  async create(context) {
    const site = createDeviceSite(context);
    return {
      routers: [site.router],
      // The list and a device's link start a sign-in; the rest are a signed-in user's pages.
      rateLimited: [{ group: 'signInStart', paths: ['/devices', '/devices/approve/:id'] }],
      loginFlows: site.flows,
      pruneJobs: [{ name: 'device site sign-ins', retentionMs: 0, prune: (now) => site.flows.prune(now) }],
    };
  },
};
