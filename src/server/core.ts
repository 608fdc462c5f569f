import type { Clock } from '../clock.js';
import type { Config } from '../config/load.js';
import { secretBoxFromConfig } from '../crypto/master-key.js';
import type { ScryptParams } from '../crypto/password.js';
import type { SecretBox } from '../crypto/secret-box.js';
import type { Directory } from '../directory/directory.js';
import { LocalDirectory } from '../directory/local/local-directory.js';
import { SigningKeys } from '../keys/signing-keys.js';
import type { Database } from '../store/database.js';
import { AuditRepository } from '../store/repositories/audit.js';
import { UsersRepository } from '../store/repositories/users.js';

/** The repositories and engine parts that the CLI and the server share. */
export interface Core {
  config: Config;
  database: Database;
  box: SecretBox;
  clock: Clock;
  users: UsersRepository;
  audit: AuditRepository;
  keys: SigningKeys;
  directory: Directory;
}

/** Builds the storage-backed core from an open (migrated) database. */
export function composeCore(config: Config, database: Database, clock: Clock): Core {
  const box = secretBoxFromConfig(config);
  const users = new UsersRepository(database.db, clock);
  const directory = new LocalDirectory(users, database, scryptParams(config));
  return {
    config,
    database,
    box,
    clock,
    users,
    audit: new AuditRepository(database.db, clock),
    keys: new SigningKeys(database.db, box, clock),
    directory,
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
