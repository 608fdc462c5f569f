/** What the maxmind reader expects of a cache (mmdb-lib's `Cache`, which it does not export). */
export interface RecordCache {
  get(key: string | number): unknown;
  set(key: string | number, value: unknown): void;
}

/**
 * The cache the database reader keeps of decoded records, keyed by their offset in the file.
 * A country database has a few hundred distinct records, so once they are all cached a lookup
 * only walks the search tree and allocates no record. When full, the oldest entry goes (first in,
 * first out): cheaper than LRU bookkeeping on every hit, and as good for country data; a City
 * database simply keeps its most recently decoded records.
 */
export function createRecordCache(max: number): RecordCache {
  const entries = new Map<string | number, unknown>();
  return {
    get: (key) => entries.get(key),
    set: (key, value) => {
      if (entries.size >= max && !entries.has(key)) {
        const oldest = entries.keys().next();
        if (!oldest.done) entries.delete(oldest.value);
      }
      entries.set(key, value);
    },
  };
}
