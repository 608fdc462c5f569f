import type { Door, DoorDefinition } from '../door.js';
import { createSelfService } from './create.js';

/**
 * The self-service site (`/selfservice`): users sign in through the hosted login and manage
 * their own second factors and mobile number.
 */
export const selfServiceDoor: DoorDefinition<'selfservice', Door> = {
  name: 'selfservice',
  async create(context) {
    const site = createSelfService(context);
    return {
      routers: [site.router],
      // The portal's front page starts a sign-in; `/selfservice/...` are a signed-in user's pages.
      rateLimited: [{ group: 'signInStart', paths: ['/selfservice'] }],
      loginFlows: site.flows,
      // Each row ends with what it stands for: an enrolment's pending minutes, a session's or sign-in's lifetime.
      pruneJobs: [
        { name: 'selfservice pending enrolments', retentionMs: 0, prune: site.pruneEnrolments },
        { name: 'selfservice revoked sessions', retentionMs: 0, prune: site.pruneRevocations },
        { name: 'selfservice sign-ins', retentionMs: 0, prune: site.pruneFlows },
      ],
    };
  },
};
