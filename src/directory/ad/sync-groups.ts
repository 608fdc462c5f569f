import type { Client, Entry } from 'ldapts';
import type { ActiveDirectoryConfig } from '../../config/directory-schema.js';
import { pages } from './paged.js';

/** A group of the domain as synchronisation needs it. */
interface GroupNode {
  name: string;
  /** Normalised DNs of the groups it is a direct member of. */
  parents: string[];
  usn: bigint;
}

/** The groups a user belongs to, nested membership included. */
export interface Membership {
  /** Normalised DNs. */
  dns: string[];
  /** Names (CN), sorted: what Passgate stores and policies match. */
  names: string[];
}

/**
 * Every group of the domain (name, parents, uSNChanged), read once per run, so that a user's
 * nested membership is the closure of their memberOf without one search per user.
 */
export class GroupIndex {
  private constructor(private readonly groups: Map<string, GroupNode>) {}

  /** Reads every group of the domain (paged). */
  static async read(client: Client, domain: string, pageSize: number): Promise<GroupIndex> {
    const groups = new Map<string, GroupNode>();
    for await (const entries of pages(client, domain, {
      filter: '(objectClass=group)',
      attributes: ['cn', 'memberOf', 'uSNChanged'],
      pageSize,
    })) {
      for (const group of entries) {
        groups.set(normalizeDn(group.dn), {
          name: first(group, 'cn') ?? group.dn,
          parents: values(group, 'memberOf').map(normalizeDn),
          usn: BigInt(first(group, 'uSNChanged') ?? 0),
        });
      }
    }
    return new GroupIndex(groups);
  }

  /** The closure of a user's direct groups (memberOf). */
  closure(direct: readonly string[]): Membership {
    const seen = new Set<string>();
    const queue = direct.map(normalizeDn);
    while (queue.length > 0) {
      const dn = queue.pop()!;
      if (seen.has(dn)) continue;
      seen.add(dn);
      for (const parent of this.groups.get(dn)?.parents ?? []) queue.push(parent);
    }
    const dns = [...seen];
    return { dns, names: dns.map((dn) => this.groups.get(dn)?.name ?? dn).sort() };
  }

  /**
   * Groups created or changed (members, name, place) since a USN. Membership lives on the group
   * (member; memberOf is its back-link): adding or removing a member does not change the user.
   */
  changedSince(usn: bigint): Array<{ dn: string; name: string }> {
    return [...this.groups]
      .filter(([, group]) => group.usn >= usn)
      .map(([dn, group]) => ({ dn, name: group.name }));
  }
}

/**
 * Whether a user is in the synchronised scope: under one of sync.baseDns (directory.baseDn when
 * none), and a (nested) member of one of sync.groups when there are some.
 */
export function scopeTest(config: ActiveDirectoryConfig): (dn: string, membership: Membership) => boolean {
  const bases = syncBases(config).map(normalizeDn);
  const groups = new Set(config.sync.groups.map(normalizeDn));
  return (dn, membership) => {
    const normalised = normalizeDn(dn);
    const under = bases.some((base) => normalised === base || normalised.endsWith(`,${base}`));
    return under && (groups.size === 0 || membership.dns.some((g) => groups.has(g)));
  };
}

/** The subtrees a full run reads. */
export function syncBases(config: ActiveDirectoryConfig): string[] {
  return config.sync.baseDns.length > 0 ? config.sync.baseDns : [config.baseDn];
}

/** A DN in one comparable form: lower case, no blanks around `,` and `=` (AD compares DNs so). */
export function normalizeDn(dn: string): string {
  return dn
    .replace(/\s*([,=])\s*/g, '$1')
    .trim()
    .toLowerCase();
}

/** Every value of an attribute as text. */
export function values(entry: Entry, attribute: string): string[] {
  const value = entry[attribute];
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}

function first(entry: Entry, attribute: string): string | undefined {
  return values(entry, attribute)[0];
}
