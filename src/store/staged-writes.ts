import type { CompiledQuery } from 'kysely';
import type { CommitGroup } from './commit-group.js';

/**
 * Writes whose caller goes on without waiting for their commit, and waits once, before it
 * answers, for all of them (`settled`): the writes a request makes during one turn of the event
 * loop then share that turn's group commit (see CommitGroup) instead of one commit each, which
 * is what oidc-provider's exchanges cost when each of its saves awaits its own (a resumed
 * authorization saves four rows, one after the other).
 *
 * No request scope is needed (an AsyncLocalStorage would switch on promise hooks for the whole
 * process on Node 20): `settled` waits for every write staged so far, the caller's among them,
 * and a caller learns that a write failed from the count of failures, which it read (`mark`)
 * before its first write: a failure since then, its own or that of a request running at the
 * same time, fails it (failing closed: no caller answers as if a lost write were stored).
 *
 * Writes are committed in the order they were staged: a turn's writes go to the group as they
 * come, and those staged while an earlier turn's are being committed (an asynchronous database)
 * wait for them.
 */
export class StagedWrites {
  /** The promises of the writes given to the group in this turn (each settles, never rejects). */
  private turn: Array<Promise<void>> = [];
  /** Writes staged while an earlier turn's are being committed. */
  private queued: CompiledQuery[] = [];
  private committing = false;
  private staged = 0;
  private done = 0;
  private failures = 0;
  private lastFailure: unknown;
  private waiters: Array<{ until: number; resolve: () => void }> = [];

  constructor(private readonly commits: CommitGroup) {}

  /** Hands a write in; it is committed with the others of this turn, after those staged before it. */
  stage(query: CompiledQuery): void {
    this.staged += 1;
    if (this.committing) this.queued.push(query);
    else this.give(query);
  }

  /** What `settled` compares with: read before the caller's first staged write. */
  mark(): number {
    return this.failures;
  }

  /**
   * Resolves once every write staged so far is committed; rejects when a staged write failed
   * after `mark` was read.
   */
  async settled(mark: number): Promise<void> {
    if (this.done < this.staged)
      await new Promise<void>((resolve) => this.waiters.push({ until: this.staged, resolve }));
    if (this.failures > mark) throw this.lastFailure;
  }

  private give(query: CompiledQuery): void {
    if (this.turn.length === 0) setImmediate(() => this.endTurn());
    this.turn.push(
      this.commits.run(query).then(
        () => undefined,
        (error: unknown) => {
          this.failures += 1;
          this.lastFailure = error;
        },
      ),
    );
  }

  /** After the turn: later writes wait until this turn's are committed, then go to the group. */
  private endTurn(): void {
    const turn = this.turn;
    this.turn = [];
    this.committing = true;
    void Promise.all(turn).then(() => {
      this.committing = false;
      this.done += turn.length;
      this.waiters = this.waiters.filter((waiter) => {
        if (waiter.until > this.done) return true;
        waiter.resolve();
        return false;
      });
      const queued = this.queued;
      this.queued = [];
      for (const query of queued) this.give(query);
    });
  }
}
