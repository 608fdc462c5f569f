import { type DeferredDoor, deferDoor } from '../deferred-door.js';
import type { DoorDefinition } from '../door.js';
import type { SamlDoor } from './door.js';
import { SAML_PRUNE_JOBS, SAML_RATE_LIMITED } from './door-shape.js';

/**
 * The SAML door as the server lists it: samlify, the XML libraries and the compiled SAML schema
 * are loaded after the server is ready (or by the first `/saml/` request), not before.
 */
export const samlDoor: DoorDefinition<'saml', DeferredDoor<SamlDoor>> = {
  name: 'saml',
  async create(context) {
    return deferDoor(
      async () => (await import('./door.js')).samlDoor.create(context),
      {
        pathPrefixes: ['/saml/'],
        rateLimited: SAML_RATE_LIMITED,
        pruneJobs: Object.values(SAML_PRUNE_JOBS).map((name) => ({ name, retentionMs: 0 })),
        loginFlows: true,
      },
      context.logger,
    );
  },
};
