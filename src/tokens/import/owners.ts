import type { User, UsersRepository } from '../../store/repositories/users.js';

/**
 * Finds the owners named in an import file, each name looked up once. A name is a Passgate user
 * name (any case); a distinguished name as PSKC files often carry ("UID=jsmith,DC=example,DC=net")
 * also matches the user named by its first UID or CN.
 */
export class Owners {
  private readonly found = new Map<string, Promise<User | undefined>>();

  constructor(private readonly users: Pick<UsersRepository, 'findByUsername'>) {}

  /** The user a name from the file stands for, or undefined. */
  resolve(name: string): Promise<User | undefined> {
    const key = name.trim().toLowerCase();
    let user = this.found.get(key);
    if (!user) {
      user = this.lookup(name.trim());
      this.found.set(key, user);
    }
    return user;
  }

  private async lookup(name: string): Promise<User | undefined> {
    const direct = await this.users.findByUsername(name);
    if (direct) return direct;
    const rdn = /^\s*(?:uid|cn)\s*=\s*([^,+]+?)\s*,/i.exec(name);
    return rdn ? this.users.findByUsername(rdn[1]!) : undefined;
  }
}
