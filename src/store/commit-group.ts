import { StoreErrors } from './errors.js';
import { type BatchCommitter, WriteBatch } from './write-batch.js';

type Waiting = { batch: WriteBatch; done: () => void; failed: (error: unknown) => void };

/**
 * Group commit of operations' write batches: the batches committed during the same turn of the
 * event loop (the requests read in one poll, each run to its commit without leaving it, as
 * SQLite's statements resolve at once) are stored by one transaction at the end of that turn,
 * with the rows of each append-only table in one statement, and each caller's promise settles
 * only once that transaction has committed: an operation that answers after awaiting it has lost
 * nothing if the process then crashes, exactly as with its own transaction. One commit instead
 * of one per operation is what makes it cheaper (SQLite writes each page the commits touch to its
 * log once, and takes the write lock once). A transaction refused for anything but an
 * unreachable store is retried batch by batch, so a bad batch fails its own caller only.
 */
export class CommitGroup implements BatchCommitter {
  private waiting: Waiting[] = [];
  private scheduled = false;

  /** Stores the batch with the others of this turn; resolves once it is committed. */
  commit(batch: WriteBatch): Promise<void> {
    return new Promise<void>((done, failed) => {
      this.waiting.push({ batch, done, failed });
      if (this.scheduled) return;
      this.scheduled = true;
      setImmediate(() => void this.flush());
    });
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    const group = this.waiting;
    this.waiting = [];
    try {
      await together(group.map((w) => w.batch)).commit();
      for (const w of group) w.done();
    } catch (error) {
      if (group.length === 1 || StoreErrors.is(error, 'DB_UNREACHABLE')) {
        for (const w of group) w.failed(error);
        return;
      }
      await Promise.all(group.map((w) => together([w.batch]).commit().then(w.done, w.failed)));
    }
  }
}

/** One batch of the writes of several (each stays uncommitted: its caller's promise is the group's). */
function together(batches: readonly WriteBatch[]): WriteBatch {
  const all = new WriteBatch();
  for (const batch of batches) all.absorb(batch);
  return all;
}
