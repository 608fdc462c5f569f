import type { Door, DoorDefinition } from '../door.js';
import { createReset } from './create.js';

/**
 * The password-reset door (`reset.sites`): users who forgot their password or locked their
 * account prove who they are with a second factor, then set a new password or unlock (docs/reset.md).
 */
export const resetDoor: DoorDefinition<'reset', Door> = {
  name: 'reset',
  enabled: (config) => config.reset.sites.length > 0,
  async create(context) {
    const reset = createReset(context);
    return {
      routers: [reset.router],
      // The user-name step starts a journey; the second factor runs on the hosted login's limited pages.
      rateLimited: [
        { group: 'signInStart', paths: context.core.config.reset.sites.map((site) => site.path) },
      ],
      loginFlows: reset.journeys,
      pruneJobs: [
        { name: 'reset journeys', retentionMs: 0, prune: (now) => reset.journeys.prune(now) },
        // A reminder row is useless once its password has expired (or changed: a new expiry).
        {
          name: 'password reminders',
          retentionMs: 0,
          prune: (now) => context.core.repositories.passwordReminders.prune(now),
        },
      ],
      ...(reset.reminds
        ? {
            scheduledJobs: [
              {
                name: 'password-expiry reminders',
                everyMs: context.core.config.reset.remindersEveryMinutes * 60_000,
                run: async () => {
                  await reset.remindNow();
                },
              },
            ],
          }
        : {}),
    };
  },
};
