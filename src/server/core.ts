import { AttemptWriter } from '../attempts/writer.js';
import type { Clock } from '../clock.js';
import { createCodeHasher } from '../crypto/code-hash.js';
import { secretBoxFromConfig } from '../crypto/master-key.js';
import type { ScryptParams } from '../crypto/password.js';
import { devicePolicyAllowance } from '../devices/allowance.js';
import { DeviceApprovals } from '../devices/approvals.js';
import { DEFAULT_DIRECTORY } from '../directory/naming.js';
import type { Core as CoreOf } from '../doors/core.js';
import { SecondFactor } from '../engine/second-factor.js';
import { Throttle } from '../engine/throttle.js';
import { openCountryLookup } from '../geo/country-lookup.js';
import { SigningKeys } from '../keys/signing-keys.js';
import { StoredSecrets } from '../keys/stored-secrets.js';
import { loadLicence } from '../licences/licence.js';
import { SeatRules } from '../licences/rules.js';
import { Seats } from '../licences/seats.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { LearnedTrust } from '../policy/authentication/context/learned-trust.js';
import { LoginHistory } from '../policy/authentication/context/login-history.js';
import type { Database } from '../store/database.js';
import { createRepositories } from '../store/repository-set.js';
import { createTokenTypes, TOKEN_TYPES } from '../tokens/registry.js';
import type { TokenTypePlugin } from '../tokens/token-type.js';
import type { Config } from './config.js';
import { createDirectories } from './directories.js';
import { composeSessions } from './sessions.js';

/**
 * The core the server and the CLI build, over the full configuration; its shape lives with the
 * door contract (src/doors/core.ts), since every door receives it.
 */
export type Core = CoreOf<Config>;

/** What a core is built with besides its configuration, store and clock. */
export interface CoreOptions {
  /** Default: silent. */
  logger?: Logger;
  /** The token types; default: the registry's (a test adds a type of its own). */
  tokenTypePlugins?: readonly TokenTypePlugin[];
  /**
   * The URL the server answers at, which a sync run inside it names as the issuer of Logout
   * Tokens; default: the configured public URL (a process that does not listen, e.g. the CLI).
   */
  publicUrl?: string;
}

/** Builds the storage-backed core from an open (migrated) database. */
export function composeCore(
  config: Config,
  database: Database,
  clock: Clock,
  options: CoreOptions = {},
): Core {
  const { logger = createLogger('silent'), tokenTypePlugins = TOKEN_TYPES, publicUrl } = options;
  const geo = openCountryLookup(config.geo); // first: a wrong database file is a configuration error
  const licence = loadLicence(config.licences); // so is a licence file that does not verify
  const box = secretBoxFromConfig(config);
  const repositories = createRepositories(database, box, clock);
  const { users, directoryUsers, audit, tokens, passcodes } = repositories;
  const keys = new SigningKeys(database.db, box, clock);
  // Users a sync run found disabled or removed lose their sessions on every server (and their OIDC clients are told).
  const endSessionsOfInactiveUsers = async () => {
    const sessions = composeSessions({ config, repositories, keys, clock }, publicUrl);
    const ended = await sessions.endOfInactiveUsers('directory sync');
    await sessions.settled(); // `passgate sync` closes the store when the run is over
    return ended;
  };
  const seats = new Seats({ repository: repositories.seats, audit, clock, logger, terms: licence });
  seats.warnWhenExpired();
  const seatRules = new SeatRules(seats, repositories.seats, config.licences.rules, audit, logger);
  const { directory, directories, adSyncs } = createDirectories({
    config,
    repositories,
    database,
    scrypt: scryptParams(config),
    clock,
    logger,
    endSessionsOfInactiveUsers,
    ...(config.licences.rules.length > 0 ? { applySeatRules: () => seatRules.apply() } : {}),
  });
  const adSync = adSyncs.get(DEFAULT_DIRECTORY);
  const passcodeHasher = createCodeHasher(box.derive('passcodes'));
  const tokenTypes = createTokenTypes(
    {
      tokens,
      backupCodes: repositories.backupCodes,
      backupHasher: createCodeHasher(box.derive('backup-codes')),
      passcodes,
      passcodeHasher,
      clock,
      totpWindow: config.mfa.totpWindow,
      hotpWindow: config.mfa.hotpWindow,
    },
    tokenTypePlugins,
  );
  const throttle = new Throttle(repositories.throttle, clock);
  const attempts = new AttemptWriter(
    repositories.signInAttempts,
    geo,
    config.attempts,
    clock,
    logger.child({ module: 'attempts' }),
  );
  return {
    config,
    database,
    box,
    clock,
    repositories,
    users,
    directoryUsers,
    audit,
    keys,
    secrets: new StoredSecrets(database.db, box, clock),
    directory,
    directories,
    ...(adSync ? { adSync } : {}),
    adSyncs,
    tokens,
    tokenTypes,
    passcodes,
    passcodeHasher,
    policies: repositories.policies,
    throttle,
    secondFactor: new SecondFactor(tokens, tokenTypes, throttle, audit, clock, config.mfa, attempts),
    geo,
    learnedTrust: new LearnedTrust(repositories.trustedNetworks, config.policies.learning, clock, audit),
    loginHistory: new LoginHistory(repositories.loginHistory, clock),
    seats,
    attempts,
    devices: new DeviceApprovals(
      repositories.devices,
      audit,
      attempts,
      clock,
      devicePolicyAllowance(repositories.policies, users),
    ),
  };
}

/** scrypt parameters from configuration. */
export function scryptParams(config: Config): ScryptParams {
  return {
    cost: config.passwords.scryptCost,
    blockSize: config.passwords.scryptBlockSize,
    parallelization: config.passwords.scryptParallelization,
  };
}
