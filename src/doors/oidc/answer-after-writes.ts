import type { Middleware } from 'koa';
import type { StagedWrites } from '../../store/staged-writes.js';
import { inOidcTerms } from './unavailable.js';

/**
 * oidc-provider middleware that holds every answer until the writes the request staged through
 * the adapter (see createOidcAdapter's `staged`) are committed: the writes of a resumed
 * authorization (the interaction gone, the grant, the code, the session) or of a token exchange
 * (the access and refresh tokens) share one commit, and nothing is answered that is not stored.
 * A write that failed fails the request (the store unreachable: 503, as answerUnavailable says).
 */
export function answerAfterWrites(staged: StagedWrites): Middleware {
  return async (_ctx, next) => {
    const mark = staged.mark();
    try {
      await next();
    } finally {
      await inOidcTerms(() => staged.settled(mark));
    }
  };
}
