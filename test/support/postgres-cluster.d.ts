/** Folder holding initdb and pg_ctl of the newest installed PostgreSQL. */
export function postgresBinDir(): string;
/** Creates (if needed) and starts a cluster in `dir` on `port`; returns its URL. */
export function startCluster(dir: string, port: number): string;
/** Stops the cluster in `dir` and, with `remove`, deletes it. */
export function stopCluster(dir: string, remove?: boolean): void;
