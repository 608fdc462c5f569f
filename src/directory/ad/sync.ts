import { type Client, Control, type Entry, FilterParser } from 'ldapts';
import type { Clock } from '../../clock.js';
import type { ActiveDirectoryConfig } from '../../config/directory-schema.js';
import type { DirectoryStateRepository } from '../../store/repositories/directory-state.js';
import type { UsersRepository } from '../../store/repositories/users.js';
import { AD_SOURCE } from './ad-directory.js';
import type { AdConnector } from './connector.js';
import { BINARY_ATTRIBUTES, type MappingProblem, toDirectoryUser, userAttributes } from './entry.js';
import { guidToUuid } from './object-guid.js';

/** What a synchronisation run did. */
export interface SyncSummary {
  full: boolean;
  seen: number;
  created: number;
  updated: number;
  unchanged: number;
  /** Users that became disabled in this run. */
  disabled: number;
  /** Users marked removed (deleted in AD, or out of the synchronised scope). */
  removed: number;
  /** Values that could not be used (invalid phone numbers ...), reported, never dropped silently. */
  problems: MappingProblem[];
  durationMs: number;
}

/** Progress of a run, for the CLI's bar. */
export type SyncProgress = (seen: number) => void;

const USN_KEY = 'ad:highestUsn';
const FULL_KEY = 'ad:lastFullSync';
/** LDAP_SERVER_SHOW_DELETED_OID: deleted objects (tombstones) are returned too. */
const SHOW_DELETED = new Control('1.2.840.113556.1.4.417', { critical: true });

/**
 * Imports the users of AD into Passgate's user table, whatever their licence state. A full run
 * reads everyone in scope (paged) and marks the users it did not see as removed; an incremental
 * run reads only what changed since the highest uSNChanged seen, including users deleted or
 * moved out of scope. Removed users keep their tokens and history.
 */
export class AdSync {
  constructor(
    private readonly config: ActiveDirectoryConfig,
    private readonly connector: AdConnector,
    private readonly users: UsersRepository,
    private readonly state: DirectoryStateRepository,
    private readonly clock: Clock,
  ) {}

  /** Whether the next run must be full (never synchronised, or the full period has passed). */
  async fullDue(): Promise<boolean> {
    const last = Number((await this.state.get(FULL_KEY)) ?? 0);
    return (
      !(await this.state.get(USN_KEY)) || this.clock() - last >= this.config.sync.fullEveryHours * 3600_000
    );
  }

  async run(options: { full?: boolean; onProgress?: SyncProgress } = {}): Promise<SyncSummary> {
    const started = this.clock();
    const previousUsn = await this.state.get(USN_KEY);
    const full = options.full || !previousUsn;
    const summary: SyncSummary = {
      full,
      seen: 0,
      created: 0,
      updated: 0,
      unchanged: 0,
      disabled: 0,
      removed: 0,
      problems: [],
      durationMs: 0,
    };
    let highest = BigInt(previousUsn ?? 0);
    await this.connector.asService(async (client) => {
      const parents = await this.groupParents(client);
      const inScope = this.scopeTest();
      const changedSince = full ? '' : `(uSNChanged>=${BigInt(previousUsn!) + 1n})`;
      const domain = await this.domainRoot(client);
      // Incremental runs look at the whole domain: a user moved out of scope changed too.
      const bases = full ? this.bases() : [domain];
      for (const base of bases) {
        for await (const page of client.searchPaginated(base, {
          scope: 'sub',
          filter: FilterParser.parseString(`(&${this.config.userFilter}${changedSince})`),
          attributes: [...userAttributes(this.config), 'memberOf'],
          paged: { pageSize: this.config.sync.pageSize },
          explicitBufferAttributes: BINARY_ATTRIBUTES,
        } as Parameters<Client['searchPaginated']>[1])) {
          for (const entry of page.searchEntries) {
            highest = maxUsn(highest, entry);
            const groups = closure(values(entry, 'memberOf'), parents);
            if (!inScope(entry.dn, groups.dns)) {
              if (!full && (await this.users.markRemoved(guidToUuid(entry.objectGUID as Buffer))))
                summary.removed++;
              continue;
            }
            await this.apply(entry, groups.names, summary);
            options.onProgress?.(summary.seen);
          }
        }
      }
      if (full) {
        summary.removed += await this.users.markRemovedUnless(AD_SOURCE, started);
      } else {
        summary.removed += await this.removeDeleted(client, domain, BigInt(previousUsn!) + 1n, (usn) => {
          if (usn > highest) highest = usn;
        });
      }
    });
    await this.state.set(USN_KEY, highest.toString());
    if (full) await this.state.set(FULL_KEY, String(started));
    summary.durationMs = this.clock() - started;
    return summary;
  }

  private async apply(entry: Entry, groups: string[], summary: SyncSummary): Promise<void> {
    const user = toDirectoryUser(entry, groups, this.config, this.clock(), summary.problems);
    const before = await this.users.findByExternalId(user.externalId);
    const { outcome } = await this.users.upsertFromDirectory(user, AD_SOURCE);
    summary.seen++;
    summary[outcome]++;
    if (user.disabled && before && !before.disabled) summary.disabled++;
  }

  /** Users deleted since `fromUsn` (tombstones, seen with the show-deleted control), marked removed. */
  private async removeDeleted(
    client: Client,
    domain: string,
    fromUsn: bigint,
    seen: (usn: bigint) => void,
  ): Promise<number> {
    const { searchEntries } = await client.search(
      domain,
      {
        scope: 'sub',
        filter: `(&(isDeleted=TRUE)(objectClass=user)(uSNChanged>=${fromUsn}))`,
        attributes: ['objectGUID', 'uSNChanged'],
        explicitBufferAttributes: ['objectGUID'],
      } as Parameters<Client['search']>[1],
      SHOW_DELETED,
    );
    let removed = 0;
    for (const entry of searchEntries) {
      seen(maxUsn(0n, entry));
      if (Buffer.isBuffer(entry.objectGUID) && (await this.users.markRemoved(guidToUuid(entry.objectGUID))))
        removed++;
    }
    return removed;
  }

  /** Every group's DN → its name and the DNs of the groups it is a member of. */
  private async groupParents(client: Client): Promise<Map<string, { name: string; parents: string[] }>> {
    const parents = new Map<string, { name: string; parents: string[] }>();
    const domain = await this.domainRoot(client);
    for await (const page of client.searchPaginated(domain, {
      scope: 'sub',
      filter: '(objectClass=group)',
      attributes: ['cn', 'memberOf'],
      paged: { pageSize: this.config.sync.pageSize },
    })) {
      for (const group of page.searchEntries) {
        parents.set(group.dn.toLowerCase(), { name: String(group.cn), parents: values(group, 'memberOf') });
      }
    }
    return parents;
  }

  /** Whether a user is in the synchronised scope: under a base DN, and in a scope group when groups are set. */
  private scopeTest(): (dn: string, groupDns: string[]) => boolean {
    const bases = this.bases().map((b) => b.toLowerCase());
    const groups = this.config.sync.groups.map((g) => g.toLowerCase());
    return (dn, groupDns) => {
      const lower = dn.toLowerCase();
      const under = bases.some((base) => lower === base || lower.endsWith(`,${base}`));
      return under && (groups.length === 0 || groupDns.some((g) => groups.includes(g)));
    };
  }

  private bases(): string[] {
    return this.config.sync.baseDns.length > 0 ? this.config.sync.baseDns : [this.config.baseDn];
  }

  private async domainRoot(client: Client): Promise<string> {
    const root = await client.search('', { scope: 'base', attributes: ['defaultNamingContext'] });
    return String(root.searchEntries[0]?.defaultNamingContext ?? this.config.baseDn);
  }
}

const values = (entry: Entry, attribute: string): string[] => {
  const value = entry[attribute];
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
};

const maxUsn = (current: bigint, entry: Entry): bigint => {
  const usn = values(entry, 'uSNChanged')[0];
  return usn && BigInt(usn) > current ? BigInt(usn) : current;
};

/** The groups a user belongs to, nested membership included: their DNs (lower case) and names. */
function closure(direct: string[], parents: Map<string, { name: string; parents: string[] }>) {
  const seen = new Set<string>();
  const queue = direct.map((d) => d.toLowerCase());
  while (queue.length > 0) {
    const dn = queue.pop()!;
    if (seen.has(dn)) continue;
    seen.add(dn);
    for (const parent of parents.get(dn)?.parents ?? []) queue.push(parent.toLowerCase());
  }
  const dns = [...seen];
  return { dns, names: dns.map((dn) => parents.get(dn)?.name ?? dn).sort() };
}
