import type { Entry } from 'ldapts';
import type { ActiveDirectoryConfig } from '../../config/directory-schema.js';
import type { DirectoryUsersRepository, SyncedUser } from '../../store/repositories/directory-users.js';
import { type DirectoryUser, normalizeUsername } from '../../store/repositories/users.js';
import type { DirectoryNaming } from '../naming.js';
import { type MappingProblem, toDirectoryUser } from './entry.js';
import { guidToUuid } from './object-guid.js';
import { type GroupIndex, type Membership, scopeTest, values } from './sync-groups.js';

/** What a synchronisation run did. */
export interface SyncSummary {
  full: boolean;
  /** User entries the DC returned, in scope or not. */
  read: number;
  /** Users in scope processed. */
  seen: number;
  created: number;
  updated: number;
  unchanged: number;
  /** Known users that became disabled in this run. */
  disabled: number;
  /** Users marked removed (deleted in AD, or out of the synchronised scope). */
  removed: number;
  /** Values that could not be used (invalid phone numbers, a user name taken ...): reported, never dropped silently. */
  problems: MappingProblem[];
  durationMs: number;
  /** What the licence's seat rules did after the run, per pool (absent without rules). */
  seats?: SeatRulesOutcome[];
}

/** What the seat rules (`licences.rules`) did for one pool after a sync. */
export interface SeatRulesOutcome {
  pool: string;
  /** Enabled users the pool's rules match. */
  members: number;
  /** Seats given now. */
  allocated: number;
  /** Seats the rules had given to users they no longer match, taken back. */
  released: number;
  /** Members left without a seat because the pool is full (or the licence expired). */
  withoutSeat: number;
}

/** Progress of a run, for the CLI's bar: users processed, and how many a full run expects. */
export type SyncProgress = (seen: number, expected: number) => void;

/** A failure of Passgate's store during a run: not a directory failure, never retried on another DC. */
export class StoreFailure extends Error {
  constructor(readonly failure: unknown) {
    super('store failure during AD sync', { cause: failure });
  }
}

/** Runs a store operation, marking its failure as the store's. */
export async function stored<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    throw new StoreFailure(error);
  }
}

/**
 * The state of one run: the users seen so far (each user is applied once, however many searches
 * return them), the summary, and the names in conflict, retried once removals are known.
 */
export class SyncRun {
  readonly summary: SyncSummary;
  /** External ids of every entry processed, in scope or not. */
  readonly seen = new Set<string>();
  /** External ids of the users in scope. */
  readonly inScope = new Set<string>();
  private readonly conflicts: DirectoryUser[] = [];
  private writing: Promise<void> = Promise.resolve();
  private readonly isInScope: (dn: string, membership: Membership) => boolean;

  constructor(
    private readonly config: ActiveDirectoryConfig,
    private readonly naming: DirectoryNaming,
    private readonly users: DirectoryUsersRepository,
    private readonly groups: GroupIndex,
    private readonly now: number,
    full: boolean,
    private readonly onProgress: (seen: number) => void = () => {},
  ) {
    this.isInScope = scopeTest(config);
    this.summary = {
      full,
      read: 0,
      seen: 0,
      created: 0,
      updated: 0,
      unchanged: 0,
      disabled: 0,
      removed: 0,
      problems: [],
      durationMs: 0,
    };
  }

  /** Applies a page of user entries: the ones in scope are stored, the others marked removed. */
  async page(entries: readonly Entry[]): Promise<void> {
    this.summary.read += entries.length;
    const batch: DirectoryUser[] = [];
    const outside: string[] = [];
    for (const entry of entries) {
      const guid = entry.objectGUID;
      if (!Buffer.isBuffer(guid) || guid.length !== 16) {
        this.problem(entry.dn, 'objectGUID', '', 'missing or not 16 bytes: the user cannot be identified');
        continue;
      }
      const id = guidToUuid(guid);
      if (this.seen.has(id)) continue;
      this.seen.add(id);
      const membership = this.groups.closure(values(entry, 'memberOf'));
      if (!this.isInScope(entry.dn, membership)) {
        outside.push(id);
        continue;
      }
      this.inScope.add(id);
      const user = this.naming.user(
        toDirectoryUser(entry, membership.names, this.config, this.now, this.summary.problems),
      );
      if (!normalizeUsername(user.username)) {
        this.problem(entry.dn, this.config.attributes.username, '', 'empty: the user cannot sign in');
        continue;
      }
      batch.push(user);
      this.summary.seen++;
    }
    this.onProgress(this.summary.seen);
    if (outside.length > 0) await this.remove(outside);
    if (batch.length > 0) {
      await this.write(async () => {
        const results = await stored(this.users.syncFromDirectory(batch, this.naming.source));
        for (const [i, result] of results.entries()) this.count(batch[i]!, result);
      });
    }
  }

  /** Marks users removed by their external ids (deleted, or no longer matching the filter). */
  async remove(externalIds: readonly string[]): Promise<void> {
    await this.write(async () => {
      this.summary.removed += await stored(this.users.markRemovedMany(externalIds));
    });
  }

  /** Waits for the writes in flight (before reading what they did: counts, conflicts). */
  async flush(): Promise<void> {
    await this.writing;
  }

  /**
   * Queues a write behind the previous ones, in order, and returns once the one before it is
   * done: one write is in flight while the caller maps the next page and the DC prepares the one
   * after (PostgreSQL works in a process of its own). A failure surfaces at the next call or at
   * flush().
   */
  private async write(work: () => Promise<void>): Promise<void> {
    const previous = this.writing;
    this.writing = previous.then(work);
    this.writing.catch(() => {}); // awaited later; not an unhandled rejection meanwhile
    await previous;
  }

  /**
   * Users whose name was taken: a name kept by a user marked removed (an account deleted and
   * created again, a name reused) is handed over; a name of another active user is reported, and
   * a known user then keeps their previous name.
   */
  async settleConflicts(): Promise<void> {
    await this.flush();
    for (const user of this.conflicts.splice(0)) {
      await stored(this.users.releaseRemovedName(normalizeUsername(user.username), this.naming.source));
      const [result] = await stored(this.users.syncFromDirectory([user], this.naming.source));
      if (result!.outcome !== 'conflict') {
        this.count(user, result!);
        continue;
      }
      this.problem(
        user.dn,
        this.config.attributes.username,
        normalizeUsername(user.username),
        'the user name belongs to another Passgate user',
      );
      const known = await stored(this.users.findByExternalId(user.externalId));
      if (known) {
        const [kept] = await stored(
          this.users.syncFromDirectory([{ ...user, username: known.username }], this.naming.source),
        );
        if (kept!.outcome !== 'conflict') this.count(user, kept!);
      }
    }
  }

  private count(user: DirectoryUser, result: SyncedUser): void {
    if (result.outcome === 'conflict') {
      this.conflicts.push(user);
      return;
    }
    this.summary[result.outcome]++;
    if (user.disabled && result.wasDisabled === false) this.summary.disabled++;
  }

  private problem(dn: string, attribute: string, value: string, reason: string): void {
    this.summary.problems.push({ dn, attribute, value, reason });
  }
}
