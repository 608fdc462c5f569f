import type { Client, Control, Entry, Filter } from 'ldapts';
import { BINARY_ATTRIBUTES } from './entry.js';

/** One paged subtree search. */
export interface PagedSearch {
  filter: string | Filter;
  attributes: string[];
  pageSize: number;
  controls?: Control[];
}

/**
 * The entries of a paged subtree search, a page at a time. The next page is requested as soon
 * as one arrives, so the DC prepares it while the caller stores the current one.
 */
export async function* pages(client: Client, base: string, search: PagedSearch): AsyncGenerator<Entry[]> {
  const source = client.searchPaginated(
    base,
    {
      scope: 'sub',
      filter: search.filter,
      attributes: search.attributes,
      paged: { pageSize: search.pageSize },
      explicitBufferAttributes: BINARY_ATTRIBUTES,
    },
    search.controls,
  );
  let next = source.next();
  let done = false;
  try {
    for (;;) {
      const result = await next;
      if (result.done) {
        done = true;
        return;
      }
      next = source.next();
      // Awaited on the next turn; until then a failure must not count as unhandled.
      next.catch(() => {});
      yield result.value.searchEntries;
    }
  } finally {
    // The caller stopped early (or failed): let the search end instead of leaving it half read.
    if (!done) await source.return(undefined).catch(() => {});
  }
}
