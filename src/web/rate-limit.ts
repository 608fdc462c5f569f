import { type NextFunction, type Request, type Response, Router } from 'express';
import { AddressBuckets, type BucketRule } from './address-buckets.js';
import { WebErrors } from './errors.js';

/** The groups of unauthenticated entry points, each with a limit of its own (the metric's label values). */
export const RATE_LIMITED_ENTRIES = ['sign_in_start', 'login', 'receipts'] as const;

/** One group of {@link RATE_LIMITED_ENTRIES}. */
export type RateLimitedEntry = (typeof RATE_LIMITED_ENTRIES)[number];

/** The `rateLimit` settings the limiter reads. */
export interface RateLimitSettings {
  enabled: boolean;
  maxAddresses: number;
  signInStart: BucketRule;
  login: BucketRule;
  receipts: BucketRule;
}

/** What the limiter reports to: one count per refused request, and how many addresses it remembers. */
export interface RateLimitObserver {
  refused(entry: RateLimitedEntry): void;
  remembered(entry: RateLimitedEntry, addresses: number): void;
}

/** The requests of each group: the paths where anyone may make the server work before signing in. */
const ENTRIES: ReadonlyArray<{ entry: RateLimitedEntry; paths: string[]; setting: keyof RateLimitSettings }> =
  [
    {
      entry: 'sign_in_start',
      paths: ['/saml/sso', '/saml/idp-init', '/oidc/auth', '/selfservice'],
      setting: 'signInStart',
    },
    { entry: 'login', paths: ['/login/:uid', '/login/:uid/*rest'], setting: 'login' },
    { entry: 'receipts', paths: ['/dispatch/receipts/:gateway'], setting: 'receipts' },
  ];

/** The limiter in front of the sites: a router to mount first, and the buckets (for the metrics). */
export interface RateLimiter {
  router: Router;
  /** Addresses remembered per group now. */
  size(entry: RateLimitedEntry): number;
}

/**
 * Per-address token buckets in front of the unauthenticated entry points, before any body is
 * read, any XML parsed or any row written: over its limit an address gets 429 with Retry-After
 * (the translated error page for a browser, JSON for an API client or a gateway). Counted per
 * process; `address` is the client address as the trusted-proxy setting determines it.
 */
export function createRateLimiter(
  settings: RateLimitSettings,
  address: (req: Request) => string,
  observer: RateLimitObserver,
): RateLimiter {
  const router = Router();
  const buckets = new Map<RateLimitedEntry, AddressBuckets>();
  for (const { entry, paths, setting } of ENTRIES) {
    const limiter = new AddressBuckets(settings[setting] as BucketRule, settings.maxAddresses);
    buckets.set(entry, limiter);
    if (!settings.enabled) continue;
    // `/oidc/auth/:uid` (an interaction resuming) and `/selfservice/...` (a signed-in user's pages) are not starts.
    router.all(paths, (req: Request, res: Response, next: NextFunction) => {
      const wait = limiter.take(address(req));
      observer.remembered(entry, limiter.size);
      if (wait === 0) return next();
      observer.refused(entry);
      res.set('Retry-After', String(wait));
      if (entry === 'receipts') {
        res.status(429).json({ error: 'RATE_LIMITED' });
        return;
      }
      next(WebErrors.RATE_LIMITED({ detail: `${entry}: over the limit, retry in ${wait} s` }));
    });
  }
  return { router, size: (entry) => buckets.get(entry)?.size ?? 0 };
}
