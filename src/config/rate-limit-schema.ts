import { z } from 'zod';

const bucket = (perMinute: number, burst: number, description: string) =>
  z
    .strictObject({
      perMinute: z
        .number()
        .int()
        .min(1)
        .default(perMinute)
        .describe('Requests one address may make per minute, sustained.'),
      burst: z
        .number()
        .int()
        .min(1)
        .default(burst)
        .describe('Requests one address may make at once before the per-minute rate applies.'),
    })
    .prefault({})
    .describe(description);

/**
 * Per-address limits on the entry points anyone may call before proving who they are: the first
 * line against a flood, held in each process's memory so that a refused request costs no
 * database write. The database-backed `loginThrottle` stays the authority on password guessing.
 */
export const rateLimitSchema = z
  .strictObject({
    enabled: z.boolean().default(true).describe('Refuse requests over the limits below with 429.'),
    maxAddresses: z
      .number()
      .int()
      .min(100)
      .max(1_000_000)
      .default(20_000)
      .describe(
        'Addresses each limit remembers (about 150 bytes each); when full, the least recently seen is forgotten.',
      ),
    // Generous by default: an office behind one NAT address shares each bucket at 9 a.m.; a flood
    // from one address (hundreds a second) is still cut to a trickle.
    signInStart: bucket(
      600,
      200,
      'Starting a sign-in: `/saml/sso`, `/saml/idp-init`, `/oidc/auth` and the self-service portal `/selfservice`.',
    ),
    login: bucket(
      1800,
      600,
      'The hosted login pages `/login/...` (showing them, posting a password or a second factor).',
    ),
    receipts: bucket(1200, 300, 'Delivery receipts posted by gateways to `/dispatch/receipts/...`.'),
  })
  .prefault({})
  .describe(
    'Rate limits per client address (as `server.trustedProxies` determines it; IPv6 by /64) on the unauthenticated entry points. Each server process counts on its own: with N worker processes an address may get up to N times these figures.',
  );

/** A limit of `rateLimit` that entry points count against (its bucket is shared by all of them). */
export type RateLimitGroup = Exclude<keyof z.output<typeof rateLimitSchema>, 'enabled' | 'maxAddresses'>;

/**
 * Entry points a part of the server (a door, the hosted login, the engine's receipts) asks the
 * per-address limiter to guard: declared by the part that serves them, so that the web layer
 * names no path of its own. Here, in the bottom layer, because every layer declares some.
 */
export interface RateLimitedRoutes {
  /** Whose limit they count against. */
  group: RateLimitGroup;
  /** Express paths, matched exactly as the part's own router matches them. */
  paths: string[];
  /** How a refusal is answered: the translated error page (default), or `{"error":"RATE_LIMITED"}` for machine clients. */
  answer?: 'page' | 'json';
}
