import { hashPassword, needsRehash, type ScryptParams, verifyPassword } from '../../crypto/password.js';
import type { Database } from '../../store/database.js';
import type { User, UsersRepository } from '../../store/repositories/users.js';
import type { Directory, PasswordRules } from '../directory.js';
import { DirectoryErrors, PasswordRefusalCause } from '../errors.js';
import { DEFAULT_DIRECTORY, DirectoryNaming } from '../naming.js';

/**
 * The local directory's rules for a new password: a length only (what `passgate user add` asks);
 * it keeps no history and no ages.
 */
export const LOCAL_PASSWORD_RULES: PasswordRules = {
  minLength: 8,
  complexity: false,
  historyLength: 0,
  minAgeDays: 0,
};

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
    /** Which directory this is among several: its users' names in the store. */
    readonly naming = new DirectoryNaming(DEFAULT_DIRECTORY, 'local'),
  ) {}

  async authenticate(username: string, password: string): Promise<User> {
    const found = await this.credentials(username);
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

  async find(username: string): Promise<User | undefined> {
    return (await this.credentials(username))?.user;
  }

  async resetPassword(username: string, newPassword: string): Promise<void> {
    const user = await this.find(username);
    if (!user) throw DirectoryErrors.INVALID_CREDENTIALS({ detail: `no local user "${username}"` });
    if ([...newPassword].length < LOCAL_PASSWORD_RULES.minLength)
      throw DirectoryErrors.PASSWORD_REJECTED({
        detail: 'the new password is shorter than the local directory allows',
        cause: new PasswordRefusalCause('tooShort', undefined),
      });
    await this.users.setPasswordHash(user.id, await hashPassword(newPassword, this.params));
  }

  /** The local directory locks no account itself: Passgate's own attempt counters are its lockout. */
  async unlock(): Promise<void> {}

  async passwordRules(): Promise<PasswordRules> {
    return LOCAL_PASSWORD_RULES;
  }

  /**
   * A user of this directory and their password hash: the store also holds other directories'
   * users (AD's, without a password here), which this one never answers for.
   */
  private async credentials(username: string) {
    const found = await this.users.findCredentials(this.naming.toStore(username));
    return found?.user.source === this.naming.source ? found : undefined;
  }

  async ping(): Promise<void> {
    await this.database.ping();
  }
}
