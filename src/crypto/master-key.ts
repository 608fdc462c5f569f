import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/load.js';
import { createSecretBox, type SecretBox } from './secret-box.js';

/**
 * Builds the SecretBox from configuration. Without a configured master key (development only:
 * production refuses to start, see config/load.ts) a random one is generated once into
 * `<dataDir>/master.key`, readable by the owner alone.
 */
export function secretBoxFromConfig(config: Config): SecretBox {
  const previous = config.secrets.previousMasterKeys.map((k) => Buffer.from(k, 'base64'));
  if (config.secrets.masterKey)
    return createSecretBox(Buffer.from(config.secrets.masterKey, 'base64'), previous);
  return createSecretBox(developmentMasterKey(config.dataDir), previous);
}

function developmentMasterKey(dataDir: string): Buffer {
  const file = path.join(dataDir, 'master.key');
  try {
    return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32);
  try {
    writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    return key;
  } catch (error) {
    // Another process created it first: use theirs.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST')
      return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
    throw error;
  }
}
