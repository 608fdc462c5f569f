import type { Door, DoorDefinition } from '../door.js';
import { type AdminDoorParts, createAdminSite } from './create.js';

/** The administration door as the server holds it: a door, plus its pages for the route table test. */
export type AdminDoor = Door & Pick<AdminDoorParts, 'pages' | 'site'>;

/**
 * The administration site (`/admin`): administrators sign in through the hosted login, always
 * with a second factor, and see the pages their role (`admin.roles`) allows.
 */
export const adminDoor: DoorDefinition<'admin', AdminDoor> = {
  name: 'admin',
  async create(context) {
    const parts = createAdminSite(context);
    return {
      routers: [parts.router],
      // `/admin` starts a sign-in for a browser without a session.
      rateLimited: [{ group: 'signInStart', paths: ['/admin'] }],
      loginFlows: parts.flows,
      pruneJobs: [{ name: 'admin sign-ins', retentionMs: 0, prune: (now) => parts.flows.prune(now) }],
      pages: parts.pages,
      site: parts.site,
    };
  },
};
