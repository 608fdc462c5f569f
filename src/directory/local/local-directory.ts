import { hashPassword, needsRehash, type ScryptParams, verifyPassword } from '../../crypto/password.js';
import type { Database } from '../../store/database.js';
import type { User, UsersRepository } from '../../store/repositories/users.js';
import type { Directory } from '../directory.js';
import { DirectoryErrors } from '../errors.js';

/**
 * The embedded directory: users in Passgate's own store, passwords hashed with scrypt.
 */
export class LocalDirectory implements Directory {
  readonly kind = 'local';
  /** Hash compared against when the user does not exist, so both cases take the same time. */
  private decoyHash?: Promise<string>;

  constructor(
    private readonly users: UsersRepository,
    private readonly database: Database,
    private readonly params: ScryptParams,
  ) {}

  async authenticate(username: string, password: string): Promise<User> {
    const found = await this.users.findCredentials(username);
    this.decoyHash ??= hashPassword('decoy password', this.params);
    const stored = found?.passwordHash ?? (await this.decoyHash);
    const valid = (await verifyPassword(password, stored)) && found?.passwordHash != null;
    if (!found || !valid)
      throw DirectoryErrors.INVALID_CREDENTIALS({ detail: `sign-in failed for "${username}"` });
    if (found.user.disabled)
      throw DirectoryErrors.ACCOUNT_DISABLED({ detail: `"${found.user.username}" is disabled` });
    if (needsRehash(stored, this.params)) {
      await this.users.setPasswordHash(found.user.id, await hashPassword(password, this.params));
    }
    return found.user;
  }

  async ping(): Promise<void> {
    await this.database.ping();
  }
}
