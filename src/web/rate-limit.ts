import type { NextFunction, Request, Response, Router } from 'express';
import type { RateLimitedRoutes, RateLimitGroup } from '../config/rate-limit-schema.js';
import { AddressBuckets, type BucketRule } from './address-buckets.js';
import { WebErrors } from './errors.js';

/** The groups of unauthenticated entry points, each with a limit of its own (the metric's label values). */
export const RATE_LIMITED_ENTRIES = ['sign_in_start', 'login', 'receipts'] as const;

/** One group of {@link RATE_LIMITED_ENTRIES}. */
export type RateLimitedEntry = (typeof RATE_LIMITED_ENTRIES)[number];

/** The `rateLimit` settings the limiter reads. */
export type RateLimitSettings = { enabled: boolean; maxAddresses: number } & Record<
  RateLimitGroup,
  BucketRule
>;

/** What the limiter reports to: one count per refused request, and how many addresses it remembers. */
export interface RateLimitObserver {
  refused(entry: RateLimitedEntry): void;
  remembered(entry: RateLimitedEntry, addresses: number): void;
}

/** The metric label of each limit of `rateLimit`. */
const ENTRY_OF: Record<RateLimitGroup, RateLimitedEntry> = {
  signInStart: 'sign_in_start',
  login: 'login',
  receipts: 'receipts',
};

/** The limiter in front of the sites: routes to mount first, and the buckets (for the metrics). */
export interface RateLimiter {
  /**
   * Adds the limits as routes of the application's own router (or of any router), before its
   * other routes. Not a router of their own: a request a sub-router matched and passed on leaves
   * it through one more turn of the event loop (router's `setImmediate(done)`), and every page
   * of a sign-in is a rate-limited path.
   */
  mount(router: Pick<Router, 'all'>): void;
  /** Addresses remembered per group now. */
  size(entry: RateLimitedEntry): number;
}

/**
 * Per-address token buckets in front of the unauthenticated entry points that the doors, the
 * hosted login and the engine declare (`routes`), before any body is read, any XML parsed or any
 * row written: over its limit an address gets 429 with Retry-After, answered as each declaration
 * says (the translated error page, JSON for an API client, or JSON always for a gateway). The
 * routes of one group share its buckets. Counted per process; `address` is the client address as
 * the trusted-proxy setting determines it.
 */
export function createRateLimiter(
  settings: RateLimitSettings,
  routes: readonly RateLimitedRoutes[],
  address: (req: Request) => string,
  observer: RateLimitObserver,
): RateLimiter {
  const buckets = new Map<RateLimitedEntry, AddressBuckets>();
  for (const [group, entry] of Object.entries(ENTRY_OF) as Array<[RateLimitGroup, RateLimitedEntry]>) {
    buckets.set(entry, new AddressBuckets(settings[group], settings.maxAddresses));
  }
  const limits = (settings.enabled ? routes : []).map(({ group, paths, answer = 'page' }) => {
    const entry = ENTRY_OF[group];
    const limiter = buckets.get(entry)!;
    const limit = (req: Request, res: Response, next: NextFunction) => {
      const wait = limiter.take(address(req));
      observer.remembered(entry, limiter.size);
      if (wait === 0) return next();
      observer.refused(entry);
      res.set('Retry-After', String(wait));
      if (answer === 'json') {
        res.status(429).json({ error: 'RATE_LIMITED' });
        return;
      }
      next(WebErrors.RATE_LIMITED({ detail: `${entry}: over the limit, retry in ${wait} s` }));
    };
    return { paths, limit };
  });
  return {
    mount: (router) => {
      for (const { paths, limit } of limits) router.all(paths, limit);
    },
    size: (entry) => buckets.get(entry)?.size ?? 0,
  };
}
