import type SqliteDatabase from 'better-sqlite3';

/** How often the write-ahead log is copied into the database file. */
const CHECKPOINT_INTERVAL_MS = 1000;

/**
 * Pages the write-ahead log may hold before a commit checkpoints by itself: only a backstop
 * (about 40 MB at 4 KiB pages) for a log that grows faster than the timer copies it.
 */
const BACKSTOP_AUTOCHECKPOINT_PAGES = 10_000;

/**
 * Takes SQLite's WAL checkpoints out of the commits of `handle`'s connection. With the default
 * auto-checkpoint (1,000 pages), the commit that fills the log copies it into the database file
 * and fsyncs both in the middle of a request, and a page that many commits wrote (an index, the
 * oidc-provider table) is copied once per checkpoint: under load that is several checkpoints a
 * second. A PASSIVE checkpoint once a second instead (never inside a transaction of this
 * connection; it waits for no reader or writer, and another process checkpointing just makes it
 * skip a turn) copies each page once per second. With `periodic: false` another connection
 * checkpoints the file (see {@link checkpointFile}) and this one keeps only the backstop.
 * Returns the function that stops it.
 */
export function checkpointPeriodically(
  handle: SqliteDatabase.Database,
  { periodic = true }: { periodic?: boolean } = {},
): () => void {
  handle.pragma(`wal_autocheckpoint = ${BACKSTOP_AUTOCHECKPOINT_PAGES}`);
  if (!periodic) return () => {};
  const timer = setInterval(() => {
    if (!handle.open || handle.inTransaction) return;
    try {
      handle.pragma('wal_checkpoint(PASSIVE)');
    } catch {
      // Busy or locked by another connection: the next tick tries again.
    }
  }, CHECKPOINT_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * Checkpoints the SQLite file `file` (already created, in WAL mode) once a second from a
 * connection of its own that does nothing else: the primary of `server.workers` processes runs
 * it, so that a checkpoint's copy and fsyncs (tens of ms under load) block no worker's event
 * loop; the workers then open the file with `checkpoints: false`. Returns the function that stops
 * it and closes the connection.
 */
export async function checkpointFile(file: string): Promise<() => void> {
  const { default: Database } = await import('better-sqlite3');
  const handle = new Database(file, { fileMustExist: true });
  const stop = checkpointPeriodically(handle);
  return () => {
    stop();
    handle.close();
  };
}
