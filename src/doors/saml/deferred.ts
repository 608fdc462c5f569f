import path from 'node:path';
import { type DeferredDoor, deferDoor } from '../deferred-door.js';
import type { DoorDefinition } from '../door.js';
import type { SamlDoor } from './door.js';
import { holdsSpFiles, SAML_RATE_LIMITED, samlPruneJobs } from './door-shape.js';

/**
 * The SAML door as the server lists it: samlify, the XML libraries and the compiled SAML schema
 * (libxml2's WebAssembly module, about 30 MB and half a second of CPU) are loaded after the
 * server is ready when `metadata/saml/` holds an SP, else by the first `/saml/` request or the
 * reload that finds one; never before ready. Its prune jobs need the store only.
 */
export const samlDoor: DoorDefinition<'saml', DeferredDoor<SamlDoor>> = {
  name: 'saml',
  async create(context) {
    const folder = path.join(context.core.config.metadataDir, 'saml');
    return deferDoor(
      async () => (await import('./door.js')).samlDoor.create(context),
      {
        pathPrefixes: ['/saml/'],
        rateLimited: SAML_RATE_LIMITED,
        pruneJobs: samlPruneJobs(context.core.repositories),
        loginFlows: true,
        inUse: () => holdsSpFiles(folder),
      },
      context.logger,
    );
  },
};
