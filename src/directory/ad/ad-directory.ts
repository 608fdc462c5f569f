import {
  Attribute,
  Change,
  type Client,
  type Entry,
  EqualityFilter,
  FilterParser,
  InvalidCredentialsError,
  ResultCodeError,
} from 'ldapts';
import type { Clock } from '../../clock.js';
import type { ActiveDirectoryConfig } from '../../config/directory-schema.js';
import type { User, UsersRepository } from '../../store/repositories/users.js';
import type { Directory, DirectoryAttemptRule, ExpiringPassword, PasswordRules } from '../directory.js';
import { DirectoryErrors } from '../errors.js';
import { DEFAULT_DIRECTORY, DirectoryNaming } from '../naming.js';
import { bindRefusal } from './bind-outcome.js';
import type { AdConnector } from './connector.js';
import { BINARY_ATTRIBUTES, toDirectoryUser, userAttributes } from './entry.js';
import { lockoutRule } from './lockout.js';
import { loginNameFilter, parseLoginName } from './login-name.js';
import { guidToUuid } from './object-guid.js';
import { expiringPasswords } from './password-expiry.js';
import { passwordWriteRefusal } from './password-refusal.js';
import { passwordRules } from './password-rules.js';

/** Source name of users that come from Active Directory. */
export const AD_SOURCE = 'ad';

/** Transitive group membership (LDAP_MATCHING_RULE_IN_CHAIN). */
const IN_CHAIN = '1.2.840.113556.1.4.1941';

/**
 * Active Directory as Passgate's directory: the user is found with the service account (every
 * login-name form, exactly one entry or nothing), the password is checked by binding as the
 * user's DN on a connection of its own, and the user is refreshed in Passgate's store.
 */
export class AdDirectory implements Directory {
  readonly kind = AD_SOURCE;
  private readonly userFilter;
  private domain?: string;

  constructor(
    private readonly config: ActiveDirectoryConfig,
    private readonly connector: AdConnector,
    private readonly users: UsersRepository,
    private readonly clock: Clock,
    /** Which directory this is among several: its users' names and source in the store. */
    readonly naming = new DirectoryNaming(DEFAULT_DIRECTORY, AD_SOURCE),
  ) {
    this.userFilter = FilterParser.parseString(config.userFilter);
  }

  async authenticate(username: string, password: string): Promise<User> {
    // AD takes a bind with an empty password as an anonymous bind, and lets it succeed; a NUL ends
    // the password some DCs check (Samba's), which would then not be the one typed.
    if (password.trim() === '' || password.includes('\0'))
      throw DirectoryErrors.INVALID_CREDENTIALS({
        detail: 'empty password (or a NUL in it) refused before any bind',
      });
    const entry = await this.findEntry(username);
    try {
      await this.connector.fresh((client) => client.bind(entry.dn, password));
    } catch (error) {
      // A refused password is an answer: never retried, on this DC or another.
      if (error instanceof InvalidCredentialsError) throw bindRefusal(error.message, username);
      throw error;
    }
    const user = await this.refresh(entry);
    if (user.disabled)
      throw DirectoryErrors.ACCOUNT_DISABLED({ detail: `"${user.username}" is disabled in AD` });
    return user;
  }

  /**
   * The attempt limit that keeps a user below the domain's lockout threshold (their fine-grained
   * policy when one applies), or nothing when the domain does not lock accounts.
   */
  async attemptRule(username: string): Promise<DirectoryAttemptRule | undefined> {
    const entry = await this.findEntry(username).catch((error: unknown) => {
      if (DirectoryErrors.is(error, 'DIRECTORY_UNAVAILABLE')) throw error;
      return undefined;
    });
    const rule = await this.connector.asService((client) => lockoutRule(client, this.config, entry));
    const guid = entry?.objectGUID;
    return rule && Buffer.isBuffer(guid) ? { ...rule, subject: guidToUuid(guid) } : rule;
  }

  /** Looks the user up again (a session reused without a password): disabled or gone since counts. */
  async current(user: User): Promise<User | undefined> {
    if (user.source !== this.naming.source) return user;
    const entry = await this.findEntry(this.naming.fromStore(user.username)).catch((error: unknown) => {
      if (DirectoryErrors.is(error, 'INVALID_CREDENTIALS')) return undefined;
      throw error;
    });
    return entry ? this.refresh(entry) : undefined;
  }

  async close(): Promise<void> {
    await this.connector.close();
  }

  async ping(): Promise<void> {
    await this.connector.asService((client) =>
      client.search(this.config.baseDn, { scope: 'base', attributes: ['dn'] }),
    );
  }

  /** A user's own password change: AD checks the old one (delete old value, add new one). */
  async changePassword(username: string, oldPassword: string, newPassword: string): Promise<void> {
    this.refuseUnencryptedWrite();
    const entry = await this.findEntry(username);
    const changes = [
      new Change({ operation: 'delete', modification: passwordAttribute(oldPassword) }),
      new Change({ operation: 'add', modification: passwordAttribute(newPassword) }),
    ];
    await this.connector.fresh(async (client) => {
      try {
        await client.bind(entry.dn, oldPassword);
      } catch (error) {
        if (!(error instanceof InvalidCredentialsError)) throw error;
        const refusal = bindRefusal(error.message, username);
        // AD answers these to the right password only, and refuses the bind: the service account
        // makes the change instead (AD still checks the old password, the value deleted).
        if (
          !DirectoryErrors.is(refusal, 'PASSWORD_MUST_CHANGE') &&
          !DirectoryErrors.is(refusal, 'PASSWORD_EXPIRED')
        )
          throw refusal;
        return this.connector.asService((service) => this.modifyPassword(service, entry.dn, changes));
      }
      await this.modifyPassword(client, entry.dn, changes);
    });
  }

  /**
   * An administrator's reset, with the service account's rights (replace), in one write with
   * pwdLastSet = -1 (now): the user is not made to change the password again at the next sign-in.
   */
  async resetPassword(username: string, newPassword: string): Promise<void> {
    this.refuseUnencryptedWrite();
    const entry = await this.findEntry(username);
    await this.connector.asService((client) =>
      this.modifyPassword(client, entry.dn, [
        new Change({ operation: 'replace', modification: passwordAttribute(newPassword) }),
        new Change({
          operation: 'replace',
          modification: new Attribute({ type: 'pwdLastSet', values: ['-1'] }),
        }),
      ]),
    );
  }

  /** Ends AD's lockout of the account (lockoutTime = 0); its password and bad-password count stay. */
  async unlock(username: string): Promise<void> {
    const entry = await this.findEntry(username);
    await this.connector.asService((client) =>
      client.modify(entry.dn, [
        new Change({
          operation: 'replace',
          modification: new Attribute({ type: 'lockoutTime', values: ['0'] }),
        }),
      ]),
    );
  }

  /** The user named, refreshed in the store; undefined for a name that denotes no one (or several). */
  async find(username: string): Promise<User | undefined> {
    const entry = await this.findEntry(username).catch((error: unknown) => {
      if (
        DirectoryErrors.is(error, 'INVALID_CREDENTIALS') ||
        DirectoryErrors.is(error, 'AMBIGUOUS_LOGIN_NAME')
      )
        return undefined;
      throw error;
    });
    return entry ? this.refresh(entry) : undefined;
  }

  /** The password rules of the user's fine-grained policy, else the domain's. */
  async passwordRules(username: string): Promise<PasswordRules> {
    const entry = await this.findEntry(username);
    return this.connector.asService(async (client) =>
      passwordRules(client, await this.domainDn(client), entry),
    );
  }

  /** The enabled users whose password expires before `until` (their PSO's or the domain's maximum age). */
  async expiringPasswords(window: { now: number; until: number }): Promise<ExpiringPassword[]> {
    return this.connector.asService(async (client) =>
      expiringPasswords(client, await this.domainDn(client), this.config, this.naming, window),
    );
  }

  /** Refreshes a user from an entry, with nested group membership. */
  async refresh(entry: Entry): Promise<User> {
    const groups = await this.groupsOf(entry.dn);
    const { user } = await this.users.upsertFromDirectory(
      this.naming.user(toDirectoryUser(entry, groups, this.config, this.clock())),
      this.naming.source,
    );
    return user;
  }

  /**
   * Names (CN) of every group the entry belongs to, nested membership included, wherever they are
   * in the domain (not only under the base DN users are searched in).
   */
  async groupsOf(dn: string): Promise<string[]> {
    const { searchEntries } = await this.connector.asService(async (client) =>
      client.search(await this.domainDn(client), {
        scope: 'sub',
        filter: `(&(objectClass=group)(member:${IN_CHAIN}:=${escapeDnValue(dn)}))`,
        attributes: ['cn'],
      }),
    );
    return searchEntries.map((g) => String(g.cn)).sort();
  }

  /** The domain's naming context, read once from the root DSE. */
  private async domainDn(client: Client): Promise<string> {
    if (!this.domain) {
      const { searchEntries } = await client.search('', {
        scope: 'base',
        attributes: ['defaultNamingContext'],
      });
      this.domain = String(searchEntries[0]?.defaultNamingContext ?? this.config.baseDn);
    }
    return this.domain;
  }

  /** The one entry a login name denotes; INVALID_CREDENTIALS when none (or several) match. */
  async findEntry(username: string): Promise<Entry> {
    const login = parseLoginName(username);
    const filter = login && loginNameFilter(login, this.userFilter, this.config.netbiosDomain);
    if (!filter)
      throw DirectoryErrors.INVALID_CREDENTIALS({
        detail: `"${username}" is not a login name of this domain`,
      });
    const { searchEntries } = await this.connector.asService((client) =>
      client.search(this.config.baseDn, {
        scope: 'sub',
        filter,
        attributes: userAttributes(this.config),
        sizeLimit: 2,
        explicitBufferAttributes: BINARY_ATTRIBUTES,
      } as Parameters<Client['search']>[1]),
    );
    if (searchEntries.length === 0)
      throw DirectoryErrors.INVALID_CREDENTIALS({ detail: `no AD user "${username}"` });
    if (searchEntries.length > 1) {
      throw DirectoryErrors.AMBIGUOUS_LOGIN_NAME({ detail: `"${username}" matches more than one AD user` });
    }
    return searchEntries[0]!;
  }

  /**
   * Refuses a password write before anything is sent when a DC may be reached over ldap://
   * without StartTLS (`allowPlainLdap`): the password would travel in clear, and AD would refuse it anyway.
   */
  private refuseUnencryptedWrite(): void {
    const plain = this.config.startTls ? [] : this.config.urls.filter((url) => url.startsWith('ldap://'));
    if (plain.length > 0)
      throw DirectoryErrors.PASSWORD_WRITE_UNENCRYPTED({
        detail: `password writes need LDAPS or StartTLS; ${plain.join(', ')} is plain LDAP (directory.startTls is off)`,
      });
  }

  private async modifyPassword(client: Client, dn: string, changes: Change[]): Promise<void> {
    try {
      await client.modify(dn, changes);
    } catch (error) {
      // 19 constraintViolation / 53 unwillingToPerform: policy (length, complexity, history) or a wrong old password.
      if (error instanceof ResultCodeError) {
        throw (
          passwordWriteRefusal(error) ??
          DirectoryErrors.PASSWORD_REJECTED({
            detail: `AD refused the new password: ${error.message}`,
            cause: error,
          })
        );
      }
      throw error;
    }
  }
}

/** unicodePwd: the password in double quotes, UTF-16LE (what AD requires over LDAPS). */
function passwordAttribute(password: string): Attribute {
  return new Attribute({ type: 'unicodePwd', values: [Buffer.from(`"${password}"`, 'utf16le')] });
}

/** Escapes a DN for use as an assertion value in a filter string (RFC 4515). */
function escapeDnValue(dn: string): string {
  return new EqualityFilter({ attribute: 'x', value: dn }).toString().slice('(x='.length, -1);
}
