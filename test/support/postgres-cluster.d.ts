/** Folder holding initdb and pg_ctl of the newest installed PostgreSQL. */
export function postgresBinDir(): string;
/** Creates (if needed) and starts a cluster in `dir` on `port`; returns its URL. */
export function startCluster(dir: string, port: number): string;
/** Restarts the cluster in `dir` with `pg_ctl restart -m fast`, without blocking the event loop. */
export function restartCluster(dir: string): Promise<void>;
/** Stops the cluster in `dir` and, with `remove`, deletes it. */
export function stopCluster(dir: string, remove?: boolean): void;
