import type { Clock } from '../clock.js';
import type { DirectoryConfig } from '../config/directory-schema.js';
import { ConfigErrors } from '../config/errors.js';
import type { ScryptParams } from '../crypto/password.js';
import { AD_SOURCE, AdDirectory } from '../directory/ad/ad-directory.js';
import { AdConnector } from '../directory/ad/connector.js';
import { AdSync, type SeatRulesOutcome } from '../directory/ad/sync.js';
import { Directories, type DirectoryMember } from '../directory/directories.js';
import type { Directory } from '../directory/directory.js';
import { LocalDirectory } from '../directory/local/local-directory.js';
import { DEFAULT_DIRECTORY, DirectoryNaming } from '../directory/naming.js';
import type { Logger } from '../observability/logger.js';
import type { Database } from '../store/database.js';
import type { Repositories } from '../store/repository-set.js';
import type { Config } from './config.js';

/** What {@link createDirectories} builds. */
export interface ComposedDirectories {
  /** The one the engine uses: the only directory, or all of them routed by login name. */
  directory: Directory;
  /** Every directory by name, `default` first. */
  directories: ReadonlyMap<string, Directory>;
  /** The synchronisation of every AD directory, by name. */
  adSyncs: ReadonlyMap<string, AdSync>;
}

/** What the directories are built over. */
export interface DirectoryDeps {
  config: Config;
  repositories: Pick<Repositories, 'users' | 'directoryUsers' | 'directoryState'>;
  database: Database;
  /** Hashing of the local directory's passwords. */
  scrypt: ScryptParams;
  clock: Clock;
  logger: Logger;
  endSessionsOfInactiveUsers: () => Promise<number>;
  applySeatRules?: () => Promise<SeatRulesOutcome[]>;
}

/**
 * The directories the configuration names: `directory` as `default`, then every one of
 * `directories`, each with its own connection, service account, sync and lockout shield. With a
 * single directory the engine uses it directly (nothing routes); with several, a
 * {@link Directories} chooses by login name for every door alike.
 */
export function createDirectories(deps: DirectoryDeps): ComposedDirectories {
  const named: [string, DirectoryConfig][] = [
    [DEFAULT_DIRECTORY, deps.config.directory],
    ...Object.entries(deps.config.directories),
  ];
  const members: DirectoryMember[] = [];
  const adSyncs = new Map<string, AdSync>();
  for (const [name, settings] of named) {
    const { member, sync } = createMember(name, settings, deps);
    members.push(member);
    if (sync) adSyncs.set(name, sync);
  }
  const directories = new Map<string, Directory>(members.map((m) => [m.directory.naming.name, m.directory]));
  const directory = members.length === 1 ? members[0]!.directory : new Directories(members);
  return { directory, directories, adSyncs };
}

function createMember(
  name: string,
  settings: DirectoryConfig,
  deps: DirectoryDeps,
): { member: DirectoryMember; sync?: AdSync } {
  const setting = name === DEFAULT_DIRECTORY ? 'directory' : `directories.${name}`;
  if (settings.type === 'local') {
    const directory = new LocalDirectory(
      deps.repositories.users,
      deps.database,
      deps.scrypt,
      new DirectoryNaming(name, 'local'),
    );
    return { member: { directory, prefixes: [name.toUpperCase()], upnSuffixes: [] } };
  }
  const password = process.env[settings.bindPasswordEnv];
  if (!password) {
    throw ConfigErrors.CONFIG_INVALID({
      detail: `${setting}.bindPasswordEnv: environment variable ${settings.bindPasswordEnv} is not set`,
    });
  }
  const naming = new DirectoryNaming(name, AD_SOURCE);
  const connector = new AdConnector(settings, password, deps.logger.child({ module: 'ad', directory: name }));
  const directory = new AdDirectory(settings, connector, deps.repositories.users, deps.clock, naming);
  const sync = new AdSync(
    settings,
    connector,
    deps.repositories.directoryUsers,
    deps.repositories.directoryState,
    deps.clock,
    deps.endSessionsOfInactiveUsers,
    deps.applySeatRules,
    naming,
  );
  const prefixes = [name, settings.netbiosDomain].filter((p): p is string => !!p).map((p) => p.toUpperCase());
  return {
    member: { directory, prefixes, upnSuffixes: settings.upnSuffixes.map((s) => s.toLowerCase()) },
    sync,
  };
}
