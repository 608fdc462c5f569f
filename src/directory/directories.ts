import type { User } from '../store/repositories/users.js';
import type { Directory, DirectoryAttemptRule, PasswordRules } from './directory.js';
import { DirectoryErrors } from './errors.js';
import type { DirectoryNaming } from './naming.js';

/** One directory among several, with what routes a login name to it. */
export interface DirectoryMember {
  directory: Directory & { readonly naming: DirectoryNaming };
  /** `DOMAIN\` prefixes that name it (its own name always does; AD: its NetBIOS domain too), upper-case. */
  prefixes: readonly string[];
  /** UPN suffixes (`@partner.example`) that name it, lower-case, without the @. */
  upnSuffixes: readonly string[];
}

/** A login name routed to one directory, with the name that directory is given. */
interface Routed {
  member: DirectoryMember;
  name: string;
  /** The user, when routing had to look them up (a bare name): not looked up twice. */
  found?: User;
}

/**
 * Several directories behind the one Directory the engine knows, so that every door (OIDC, SAML,
 * self-service, admin, RADIUS, reset) chooses alike: a `DOMAIN\` prefix or a UPN suffix names the
 * directory; a bare name goes to the first directory, in configured order, that has the user. A
 * user of the store belongs to the directory whose source it carries, never to another.
 */
export class Directories implements Directory {
  readonly kind = 'directories';

  constructor(private readonly members: readonly DirectoryMember[]) {}

  async authenticate(username: string, password: string): Promise<User> {
    const routed = await this.routeOrRefuse(username);
    return routed.member.directory.authenticate(routed.name, password);
  }

  async current(user: User): Promise<User | undefined> {
    const member = this.members.find((m) => m.directory.naming.source === user.source);
    if (!member) return undefined; // a directory no longer configured: its users cannot sign in
    return member.directory.current ? member.directory.current(user) : user;
  }

  async attemptRule(username: string): Promise<DirectoryAttemptRule | undefined> {
    const routed = await this.route(username);
    return routed?.member.directory.attemptRule?.(routed.name);
  }

  async find(username: string): Promise<User | undefined> {
    const routed = await this.route(username);
    return routed && (routed.found ?? routed.member.directory.find(routed.name));
  }

  async resetPassword(username: string, newPassword: string): Promise<void> {
    const routed = await this.routeOrRefuse(username);
    await routed.member.directory.resetPassword(routed.name, newPassword);
  }

  async unlock(username: string): Promise<void> {
    const routed = await this.routeOrRefuse(username);
    await routed.member.directory.unlock(routed.name);
  }

  async passwordRules(username: string): Promise<PasswordRules> {
    const routed = await this.routeOrRefuse(username);
    return routed.member.directory.passwordRules(routed.name);
  }

  async ping(): Promise<void> {
    await Promise.all(this.members.map((m) => m.directory.ping()));
  }

  async close(): Promise<void> {
    await Promise.all(this.members.map((m) => m.directory.close?.()));
  }

  /**
   * The directory a login name belongs to: named by its prefix or UPN suffix, else the first in
   * order that has such a user (undefined: none has). A named directory is never left for another.
   */
  private async route(username: string): Promise<Routed | undefined> {
    const named = routeByName(this.members, username.trim());
    if (named) return named;
    for (const member of this.members) {
      const found = await member.directory.find(username);
      if (found) return { member, name: username, found };
    }
    return undefined;
  }

  /** {@link route}, refusing a name no directory has as wrong credentials (no hint which). */
  private async routeOrRefuse(username: string): Promise<Routed> {
    const routed = await this.route(username);
    if (!routed)
      throw DirectoryErrors.INVALID_CREDENTIALS({ detail: `no directory has a user "${username}"` });
    return routed;
  }
}

/** The directory a `DOMAIN\name` prefix or a `name@suffix` names, if any (no lookup). */
export function routeByName(members: readonly DirectoryMember[], name: string): Routed | undefined {
  const backslash = name.indexOf('\\');
  if (backslash > 0) {
    const prefix = name.slice(0, backslash).toUpperCase();
    const member = members.find((m) => m.prefixes.includes(prefix));
    return member && { member, name: name.slice(backslash + 1) };
  }
  const at = name.lastIndexOf('@');
  if (at > 0) {
    const suffix = name.slice(at + 1).toLowerCase();
    const member = members.find((m) => m.upnSuffixes.includes(suffix));
    return member && { member, name };
  }
  return undefined;
}
