import type { Clock } from '../clock.js';
import { describeError } from '../errors.js';
import type { CountryLookup } from '../geo/country-lookup.js';
import type { Logger } from '../observability/logger.js';
import type { SignInAttemptsRepository } from '../store/repositories/sign-in-attempts.js';
import type { SignInAttemptRow } from '../store/tables.js';
import { timeOrderedId } from '../store/time-ordered-id.js';
import type { SignInAttempt } from './attempt.js';
import { sourceNetwork } from './network.js';

/** How the writer queues and batches (`attempts` in the configuration). */
export interface AttemptWriterSettings {
  queueSize: number;
  batchSize: number;
  flushMilliseconds: number;
}

/** Told of every attempt recorded and of every one dropped (the metrics). */
export interface AttemptObserver {
  recorded(door: string, result: string): void;
  dropped(count: number): void;
}

/** What the engine records attempts through: never waits, never throws. */
export interface AttemptRecorder {
  record(attempt: SignInAttempt): void;
}

/** An attempt waiting to be written: the row but for what is worked out off the sign-in's path. */
type Pending = { at: number; attempt: SignInAttempt };

/**
 * The one writer of sign-in attempts, shared by every door through the engine. Recording only
 * appends to a bounded queue in memory (a sign-in never waits for the database, and a failing
 * database never fails a sign-in); the queue is written in batches of one multi-row insert each,
 * a moment later or as soon as a batch is full. A failed write keeps its batch for the next try;
 * a full queue drops what comes and counts it. `flush()` writes everything left (graceful stop).
 */
export class AttemptWriter implements AttemptRecorder {
  private readonly queue: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<boolean> | undefined;
  /** Attempts of the batch being written (they count against the queue's size until written). */
  private inFlight = 0;
  private failing = false;
  private readonly observers: AttemptObserver[] = [];

  constructor(
    private readonly store: Pick<SignInAttemptsRepository, 'insertMany'>,
    private readonly geo: CountryLookup,
    private readonly settings: AttemptWriterSettings,
    private readonly clock: Clock,
    private readonly logger?: Pick<Logger, 'warn' | 'info'>,
  ) {}

  /** Adds an observer (the server's metrics). */
  observe(observer: AttemptObserver): void {
    this.observers.push(observer);
  }

  /** Attempts waiting in memory, the batch being written included. */
  get pending(): number {
    return this.queue.length + this.inFlight;
  }

  record(attempt: SignInAttempt): void {
    for (const observer of this.observers) observer.recorded(attempt.origin.door, attempt.result);
    if (this.pending >= this.settings.queueSize) {
      for (const observer of this.observers) observer.dropped(1);
      return;
    }
    this.queue.push({ at: this.clock(), attempt });
    if (this.queue.length >= this.settings.batchSize && !this.failing) this.schedule(0);
    else this.schedule(this.settings.flushMilliseconds);
  }

  /**
   * Writes every queued attempt; stops at the first failure of its own (what is left stays
   * queued). A write already under way is awaited first, whatever its outcome: it may have been
   * refused for a reason that is gone by now (a database that was away), and a batch it could not
   * write is back in the queue for the tries made here.
   */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.writing) await this.writing;
    while (this.queue.length > 0 || this.writing) {
      if (!(await this.writeBatch())) return;
    }
  }

  private schedule(ms: number): void {
    if (this.timer && ms > 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.writeBatch().then((written) => {
        if (this.queue.length === 0) return;
        this.schedule(
          written && this.queue.length >= this.settings.batchSize ? 0 : this.settings.flushMilliseconds,
        );
      });
    }, ms);
    this.timer.unref();
  }

  /** Writes the next batch (one at a time); false when the store refused it. */
  private writeBatch(): Promise<boolean> {
    if (this.writing) return this.writing;
    const batch = this.queue.splice(0, this.settings.batchSize);
    if (batch.length === 0) return Promise.resolve(true);
    this.inFlight = batch.length;
    this.writing = this.store
      .insertMany(batch.map((pending) => this.row(pending)))
      .then(
        () => {
          if (this.failing)
            this.logger?.info({ written: batch.length }, 'sign-in attempts are written again');
          this.failing = false;
          return true;
        },
        (error: unknown) => {
          if (!this.failing)
            this.logger?.warn(
              { error: describeError(error), queued: this.queue.length + batch.length },
              'sign-in attempts cannot be written; they wait in memory (sign-ins go on)',
            );
          this.failing = true;
          this.inFlight = 0;
          this.requeue(batch);
          return false;
        },
      )
      .finally(() => {
        this.inFlight = 0;
        this.writing = undefined;
      });
    return this.writing;
  }

  /** Puts a batch that failed back in front, as far as the queue has room; the rest is dropped. */
  private requeue(batch: Pending[]): void {
    const room = Math.max(0, this.settings.queueSize - this.queue.length);
    const kept = batch.slice(batch.length - Math.min(room, batch.length));
    const lost = batch.length - kept.length;
    this.queue.unshift(...kept);
    if (lost > 0) for (const observer of this.observers) observer.dropped(lost);
  }

  /** The row of a queued attempt: id, network, and the country when the policy had not looked it up. */
  private row({ at, attempt }: Pending): SignInAttemptRow {
    const { origin, user, decision } = attempt;
    return {
      id: timeOrderedId(at),
      at,
      user_id: user.id ?? null,
      user_name: user.name,
      door: origin.door,
      application: origin.application ?? null,
      address: origin.address,
      network: sourceNetwork(origin.address),
      country: decision ? decision.facts.country : this.geo.country(origin.address),
      first_seen: decision?.facts.newCountry && decision.facts.country ? 1 : 0,
      result: attempt.result,
      reason: attempt.reason ?? null,
      rule: decision?.rule ?? null,
      action: decision?.action ?? null,
      method: attempt.method ?? null,
    };
  }
}
