import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createSamlIdp, type SamlIdp } from '../src/doors/saml/idp.js';
import { createLogger } from '../src/observability/logger.js';
import { PACKAGE_ROOT } from '../src/paths.js';
import { loadConfig } from '../src/server/config.js';
import { composeCore } from '../src/server/core.js';
import { type Database, openDatabase } from '../src/store/database.js';
import { migrateToLatest } from '../src/store/migrate.js';

/** The IdP's public URL in the in-process SAML scenarios. */
export const IDP_URL = 'https://idp.example.com';

/** A SAML door over a fresh database (the bench's), and how to close both. */
export interface BenchSamlDoor {
  door: SamlIdp;
  users: ReturnType<typeof composeCore>['users'];
  database: Database;
  close(): Promise<void>;
}

/**
 * Builds the SAML door as the server does, with the example SPs of metadata/saml/, under the run's
 * master key (the servers of the same run stored their signing keys in this database with it).
 */
export async function benchSamlDoor(databaseUrl: string, masterKey: string): Promise<BenchSamlDoor> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'passgate-bench-saml-'));
  // Run alone, no server scenario has made the SQLite file's folder yet.
  if (databaseUrl.startsWith('sqlite:'))
    mkdirSync(path.dirname(databaseUrl.slice('sqlite:'.length)), { recursive: true });
  const database = await openDatabase(databaseUrl);
  await migrateToLatest(database);
  const config = loadConfig({
    env: {},
    overrides: {
      dataDir,
      database: { url: databaseUrl },
      secrets: { masterKey },
      metadataDir: path.join(PACKAGE_ROOT, 'metadata'),
      saml: { watchMetadata: false },
    },
  });
  const core = composeCore(config, database, () => Date.now());
  const door = await createSamlIdp({
    config,
    publicUrl: IDP_URL,
    keys: core.keys,
    secrets: core.secrets,
    requestIds: core.repositories.samlRequestIds,
    logger: createLogger('silent'),
    clock: () => Date.now(),
  });
  return {
    door,
    users: core.users,
    database,
    close: async () => {
      door.stop();
      await database.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
