import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import {
  AndFilter,
  type Client,
  Control,
  type Entry,
  EqualityFilter,
  Filter,
  FilterParser,
  OrFilter,
} from 'ldapts';
import type { Clock } from '../../clock.js';
import type { ActiveDirectoryConfig } from '../../config/directory-schema.js';
import type { DirectoryStateRepository } from '../../store/repositories/directory-state.js';
import type { DirectoryUsersRepository } from '../../store/repositories/directory-users.js';
import { DEFAULT_DIRECTORY, DirectoryNaming } from '../naming.js';
import { AD_SOURCE } from './ad-directory.js';
import type { AdConnector } from './connector.js';
import { userAttributes } from './entry.js';
import { SyncErrors } from './errors.js';
import { guidToUuid, uuidToGuid } from './object-guid.js';
import { pages } from './paged.js';
import { GroupIndex, syncBases, values } from './sync-groups.js';
import {
  type SeatRulesOutcome,
  StoreFailure,
  type SyncProgress,
  SyncRun,
  type SyncSummary,
  stored,
} from './sync-run.js';

export type { SeatRulesOutcome, SyncProgress, SyncSummary } from './sync-run.js';

/** The highest USN of the DC when the last run started: changes after it are the next run's. */
const USN_KEY = 'ad:highestUsn';
/** Which DC (and which incarnation of its database) the USN belongs to: USNs are local to a DC. */
const USN_SOURCE_KEY = 'ad:usnSource';
const FULL_KEY = 'ad:lastFullSync';
/** One run at a time per database; a holder that died lets go after an hour. */
const LEASE_KEY = 'ad:syncLease';
const LEASE_MS = 3600_000;
/** LDAP_SERVER_SHOW_DELETED_OID: deleted objects (tombstones) are returned too. */
const SHOW_DELETED = new Control('1.2.840.113556.1.4.417', { critical: true });
/** LDAP_MATCHING_RULE_IN_CHAIN: nested membership. */
const IN_CHAIN = '1.2.840.113556.1.4.1941';
/** Users re-read by objectGUID per search (an OR of equality filters). */
const GUIDS_PER_SEARCH = 100;

/** Options of one run. */
export interface SyncOptions {
  /** Full even when an incremental run would do. */
  full?: boolean;
  onProgress?: SyncProgress;
  /** Stops the run between two pages. */
  signal?: AbortSignal;
}

/** Where a DC stands at the start of a run. */
interface DcPosition {
  domain: string;
  /** The DC's NTDS settings and invocationId: another DC, or a restored one, has other USNs. */
  source: string;
  usn: bigint;
}

/**
 * Imports the users of AD into Passgate's user table, whatever their licence state. A full run
 * reads everyone in scope (paged) and marks the known users it did not find as removed. An
 * incremental run reads what changed since the DC's highest USN at the start of the previous
 * run: users created, changed, moved (out of scope too) or deleted, and the users of groups whose
 * membership changed (which does not change the users themselves). Removed users keep their
 * tokens and history, and come back when they are in scope again.
 */
export class AdSync {
  private readonly attributes: string[];

  constructor(
    /** The directory's settings (its sync schedule among them). */
    readonly config: ActiveDirectoryConfig,
    private readonly connector: AdConnector,
    private readonly users: DirectoryUsersRepository,
    private readonly state: DirectoryStateRepository,
    private readonly clock: Clock,
    /** Ends the sessions of users now disabled or removed, after each run; how many it ended. */
    private readonly endSessions: () => Promise<number> = async () => 0,
    /** Applies the licence's seat rules to the users as the run left them (idempotent). */
    private readonly applySeatRules?: () => Promise<SeatRulesOutcome[]>,
    /** Which directory this is among several: its users' names, source and state keys. */
    readonly naming = new DirectoryNaming(DEFAULT_DIRECTORY, AD_SOURCE),
  ) {
    // msDS-ResultantPSO (for sign-ins' lockout rule) is computed by the DC for each entry: a third
    // of the DC's time in a full run, for nothing here.
    this.attributes = [...userAttributes(config).filter((a) => a !== 'msDS-ResultantPSO'), 'memberOf'];
  }

  /** This directory's key of a directory_state entry. */
  private key(name: string): string {
    return this.naming.stateKey(name);
  }

  /** Whether the next run must be full (never synchronised, or the full period has passed). */
  async fullDue(): Promise<boolean> {
    const last = Number((await this.state.get(this.key(FULL_KEY))) ?? 0);
    return (
      !(await this.state.get(this.key(USN_KEY))) ||
      this.clock() - last >= this.config.sync.fullEveryHours * 3600_000
    );
  }

  /**
   * One run: full when asked, when there was none yet, or when the last one read another DC;
   * incremental otherwise. One run at a time per database (SYNC_RUNNING otherwise); `signal`
   * stops it between two pages (a server shutting down).
   */
  async run(options: SyncOptions = {}): Promise<SyncSummary> {
    const began = performance.now();
    const holder = `${hostname()}:${process.pid}:${randomUUID()}`;
    if (!(await this.state.acquire(this.key(LEASE_KEY), holder, this.clock() + LEASE_MS))) {
      throw SyncErrors.SYNC_RUNNING({
        detail: `lease ${this.key(LEASE_KEY)}: ${await this.state.get(this.key(LEASE_KEY))}`,
      });
    }
    try {
      const outcome = await this.connector.asService(async (client) => {
        try {
          return { summary: await this.runOn(client, options) };
        } catch (error) {
          // The store's failures are not the DC's: not retried on another connection, not "unavailable".
          if (error instanceof StoreFailure) return { failure: error.failure };
          if (options.signal?.aborted) return { failure: error };
          throw error;
        }
      });
      if ('failure' in outcome) throw outcome.failure;
      await this.endSessions();
      if (this.applySeatRules) outcome.summary.seats = await this.applySeatRules();
      outcome.summary.durationMs = Math.round(performance.now() - began);
      return outcome.summary;
    } finally {
      await this.state.release(this.key(LEASE_KEY), holder).catch(() => {});
    }
  }

  private async runOn(client: Client, options: SyncOptions): Promise<SyncSummary> {
    const startedAt = this.clock();
    const dc = await position(client, this.config.baseDn);
    const [previousUsn, previousSource] = await stored(
      Promise.all([this.state.get(this.key(USN_KEY)), this.state.get(this.key(USN_SOURCE_KEY))]),
    );
    const full =
      options.full === true ||
      previousUsn === undefined ||
      previousSource !== dc.source ||
      BigInt(previousUsn) > dc.usn;
    const groups = await GroupIndex.read(client, dc.domain, this.config.sync.pageSize);
    let expected = 0;
    const run = new SyncRun(this.config, this.naming, this.users, groups, startedAt, full, (seen) => {
      options.signal?.throwIfAborted();
      options.onProgress?.(seen, expected);
    });
    try {
      await this.read(client, dc.domain, full, previousUsn, groups, run, (n) => {
        expected = n;
      });
    } catch (error) {
      await run.flush().catch(() => {}); // no write of this run outlives it (a retry on another DC)
      throw error;
    }
    await run.settleConflicts(); // after every write and removal: a removed user's name is free
    await stored(this.state.set(this.key(USN_KEY), dc.usn.toString()));
    await stored(this.state.set(this.key(USN_SOURCE_KEY), dc.source));
    if (full) await stored(this.state.set(this.key(FULL_KEY), String(startedAt)));
    return run.summary;
  }

  /** Reads the DC into the run: every user in scope (full), or what changed since `previousUsn`. */
  private async read(
    client: Client,
    domain: string,
    full: boolean,
    previousUsn: string | undefined,
    groups: GroupIndex,
    run: SyncRun,
    expect: (count: number) => void,
  ): Promise<void> {
    if (full) {
      const known = await stored(this.users.activeExternalIds(this.naming.source));
      expect(known.length);
      for (const base of syncBases(this.config)) {
        for await (const entries of this.search(client, base, this.config.userFilter))
          await run.page(entries);
      }
      await run.remove(known.filter((id) => !run.inScope.has(id)));
    } else {
      await this.incremental(client, domain, BigInt(previousUsn!) + 1n, groups, run);
    }
  }

  private async incremental(
    client: Client,
    domain: string,
    from: bigint,
    groups: GroupIndex,
    run: SyncRun,
  ): Promise<void> {
    const changed = `(uSNChanged>=${from})`;
    const filter = this.config.userFilter;
    // The whole domain: a user moved out of the synchronised subtrees changed too.
    for await (const entries of this.search(client, domain, `(&${filter}${changed})`))
      await run.page(entries);
    // Users that changed so as to no longer match the filter.
    for await (const entries of this.search(client, domain, `(&(objectClass=user)${changed}(!${filter}))`, [
      'objectGUID',
    ]))
      await run.remove(guids(entries));
    // Deleted users and groups (tombstones).
    const deletedGroups: string[] = [];
    for await (const entries of this.search(
      client,
      domain,
      `(&(isDeleted=TRUE)(|(objectClass=user)(objectClass=group))${changed})`,
      ['objectGUID', 'objectClass', 'cn'],
      [SHOW_DELETED],
    )) {
      await run.remove(guids(entries.filter((e) => !isGroup(e))));
      for (const group of entries.filter(isGroup)) deletedGroups.push(String(group.cn).split('\n')[0]!);
    }
    // Membership lives on groups: the members of changed groups now, and the users who were.
    const changedGroups = groups.changedSince(from);
    for (const group of changedGroups) {
      const members = `(&${filter}(memberOf:${IN_CHAIN}:=${Filter.escape(group.dn)}))`;
      for (const base of syncBases(this.config)) {
        for await (const entries of this.search(client, base, members)) await run.page(entries);
      }
    }
    const names = [...changedGroups.map((g) => g.name), ...deletedGroups];
    await run.flush(); // the group lists just written are the ones to look at
    const former = names.length > 0 ? await stored(this.users.inGroups(this.naming.source, names)) : [];
    const unread = former.filter((id) => !run.seen.has(id));
    for (let i = 0; i < unread.length; i += GUIDS_PER_SEARCH) {
      const byGuid = new OrFilter({
        filters: unread
          .slice(i, i + GUIDS_PER_SEARCH)
          .map((id) => new EqualityFilter({ attribute: 'objectGUID', value: uuidToGuid(id) })),
      });
      const search = new AndFilter({ filters: [FilterParser.parseString(filter), byGuid] });
      for await (const entries of this.search(client, domain, search)) await run.page(entries);
    }
  }

  private search(
    client: Client,
    base: string,
    filter: string | Filter,
    attributes = this.attributes,
    controls?: Control[],
  ): AsyncGenerator<Entry[]> {
    return pages(client, base, {
      filter,
      attributes,
      pageSize: this.config.sync.pageSize,
      ...(controls ? { controls } : {}),
    });
  }
}

/** The DC's naming context, identity and highest committed USN, from its root DSE. */
async function position(client: Client, fallbackDomain: string): Promise<DcPosition> {
  const { searchEntries } = await client.search('', {
    scope: 'base',
    attributes: ['defaultNamingContext', 'highestCommittedUSN', 'dsServiceName'],
  });
  const root = searchEntries[0];
  const service = root ? (values(root, 'dsServiceName')[0] ?? '') : '';
  let invocation = '';
  if (service) {
    const settings = await client.search(service, {
      scope: 'base',
      attributes: ['invocationId'],
      explicitBufferAttributes: ['invocationId'],
    });
    const id = settings.searchEntries[0]?.invocationId;
    if (Buffer.isBuffer(id) && id.length === 16) invocation = guidToUuid(id);
  }
  return {
    domain: (root && values(root, 'defaultNamingContext')[0]) ?? fallbackDomain,
    source: `${service}#${invocation}`,
    usn: BigInt((root && values(root, 'highestCommittedUSN')[0]) ?? 0),
  };
}

function guids(entries: readonly Entry[]): string[] {
  return entries.flatMap((e) =>
    Buffer.isBuffer(e.objectGUID) && e.objectGUID.length === 16 ? [guidToUuid(e.objectGUID)] : [],
  );
}

function isGroup(entry: Entry): boolean {
  return values(entry, 'objectClass').some((c) => c.toLowerCase() === 'group');
}
