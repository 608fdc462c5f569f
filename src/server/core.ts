import type { Clock } from '../clock.js';
import { ConfigErrors } from '../config/errors.js';
import { type CodeHasher, createCodeHasher } from '../crypto/code-hash.js';
import { secretBoxFromConfig } from '../crypto/master-key.js';
import type { ScryptParams } from '../crypto/password.js';
import type { SecretBox } from '../crypto/secret-box.js';
import { AdDirectory } from '../directory/ad/ad-directory.js';
import { AdConnector } from '../directory/ad/connector.js';
import { AdSync } from '../directory/ad/sync.js';
import type { Directory } from '../directory/directory.js';
import { LocalDirectory } from '../directory/local/local-directory.js';
import { SecondFactor } from '../engine/second-factor.js';
import { Throttle } from '../engine/throttle.js';
import { type CountryLookup, openCountryLookup } from '../geo/country-lookup.js';
import { SigningKeys } from '../keys/signing-keys.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { LearnedTrust } from '../policy/authentication/context/learned-trust.js';
import { LoginHistory } from '../policy/authentication/context/login-history.js';
import type { Database } from '../store/database.js';
import { AuditRepository } from '../store/repositories/audit.js';
import { BackupCodesRepository } from '../store/repositories/backup-codes.js';
import { DirectoryStateRepository } from '../store/repositories/directory-state.js';
import { DirectoryUsersRepository } from '../store/repositories/directory-users.js';
import { LoginHistoryRepository } from '../store/repositories/login-history.js';
import { PasscodesRepository } from '../store/repositories/passcodes.js';
import { PoliciesRepository } from '../store/repositories/policies.js';
import { ThrottleRepository } from '../store/repositories/throttle.js';
import { TokensRepository } from '../store/repositories/tokens.js';
import { TrustedNetworksRepository } from '../store/repositories/trusted-networks.js';
import { UsersRepository } from '../store/repositories/users.js';
import { createTokenTypes, TOKEN_TYPES, type TokenTypes } from '../tokens/registry.js';
import type { TokenTypePlugin } from '../tokens/token-type.js';
import type { Config } from './config.js';

/** The repositories and engine parts that the CLI and the server share. */
export interface Core {
  config: Config;
  database: Database;
  box: SecretBox;
  clock: Clock;
  users: UsersRepository;
  /** Directory users as synchronisation stores them (batches, removal marks, external ids). */
  directoryUsers: DirectoryUsersRepository;
  audit: AuditRepository;
  keys: SigningKeys;
  directory: Directory;
  /** Synchronisation of users from Active Directory, when that is the directory. */
  adSync?: AdSync;
  tokens: TokensRepository;
  tokenTypes: TokenTypes;
  passcodes: PasscodesRepository;
  /** Keyed hashes of sent passcodes. */
  passcodeHasher: CodeHasher;
  policies: PoliciesRepository;
  throttle: Throttle;
  secondFactor: SecondFactor;
  /** Country of a source address, for policies and the audit log. */
  geo: CountryLookup;
  /** Self-learned trusted networks per user (`policies.learning`). */
  learnedTrust: LearnedTrust;
  /** Countries and devices each user has signed in from. */
  loginHistory: LoginHistory;
}

/**
 * Builds the storage-backed core from an open (migrated) database, with the registry's token
 * types (or another list: a test adds a type of its own).
 */
export function composeCore(
  config: Config,
  database: Database,
  clock: Clock,
  logger: Logger = createLogger('silent'),
  tokenTypePlugins: readonly TokenTypePlugin[] = TOKEN_TYPES,
): Core {
  const geo = openCountryLookup(config.geo); // first: a wrong database file is a configuration error
  const box = secretBoxFromConfig(config);
  const users = new UsersRepository(database.db, clock);
  const directoryUsers = new DirectoryUsersRepository(database.db, clock);
  const { directory, adSync } = createDirectory(config, { users, directoryUsers }, database, clock, logger);
  const audit = new AuditRepository(database.db, clock);
  const tokens = new TokensRepository(database.db, box, clock);
  const passcodes = new PasscodesRepository(database.db, clock);
  const passcodeHasher = createCodeHasher(box.derive('passcodes'));
  const tokenTypes = createTokenTypes(
    {
      tokens,
      backupCodes: new BackupCodesRepository(database.db, clock),
      backupHasher: createCodeHasher(box.derive('backup-codes')),
      passcodes,
      passcodeHasher,
      clock,
      totpWindow: config.mfa.totpWindow,
      hotpWindow: config.mfa.hotpWindow,
    },
    tokenTypePlugins,
  );
  const throttle = new Throttle(new ThrottleRepository(database.db), clock);
  return {
    config,
    database,
    box,
    clock,
    users,
    directoryUsers,
    audit,
    keys: new SigningKeys(database.db, box, clock),
    directory,
    ...(adSync ? { adSync } : {}),
    tokens,
    tokenTypes,
    passcodes,
    passcodeHasher,
    policies: new PoliciesRepository(database.db, clock),
    throttle,
    secondFactor: new SecondFactor(tokens, tokenTypes, throttle, audit, clock, config.mfa),
    geo,
    learnedTrust: new LearnedTrust(
      new TrustedNetworksRepository(database.db),
      config.policies.learning,
      clock,
      audit,
    ),
    loginHistory: new LoginHistory(new LoginHistoryRepository(database.db), clock),
  };
}

/** The directory the configuration names: the embedded local one, or Active Directory (and its sync). */
function createDirectory(
  config: Config,
  { users, directoryUsers }: { users: UsersRepository; directoryUsers: DirectoryUsersRepository },
  database: Database,
  clock: Clock,
  logger: Logger,
): { directory: Directory; adSync?: AdSync } {
  const settings = config.directory;
  if (settings.type === 'local')
    return { directory: new LocalDirectory(users, database, scryptParams(config)) };
  const password = process.env[settings.bindPasswordEnv];
  if (!password) {
    throw ConfigErrors.CONFIG_INVALID({
      detail: `directory.bindPasswordEnv: environment variable ${settings.bindPasswordEnv} is not set`,
    });
  }
  const connector = new AdConnector(settings, password, logger.child({ module: 'ad' }));
  return {
    directory: new AdDirectory(settings, connector, users, clock),
    adSync: new AdSync(
      settings,
      connector,
      directoryUsers,
      new DirectoryStateRepository(database.db, clock),
      clock,
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
