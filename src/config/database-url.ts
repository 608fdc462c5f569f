import path from 'node:path';

/**
 * The file a `sqlite:` database URL names (`sqlite:data/x.db`, `sqlite:/abs/x.db`,
 * `sqlite:///abs/x.db`), or undefined for any other URL. Here, below the store, because the
 * configuration checks the file's folder before the store opens it.
 */
export function sqliteFileOf(url: string): string | undefined {
  if (!url.startsWith('sqlite:')) return undefined;
  return url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
}

/** The embedded default database: SQLite in the data folder. */
export function defaultDatabaseUrl(dataDir: string): string {
  return `sqlite:${path.join(dataDir, 'passgate.db')}`;
}
