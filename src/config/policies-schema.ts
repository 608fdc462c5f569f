import { z } from 'zod';

/** Learned trusted addresses: where a user often completes MFA, MFA may be skipped for a while. */
export const learningSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(false)
      .describe('Learn trusted addresses; without a rule that says otherwise, logins from them skip MFA.'),
    successes: z
      .number()
      .int()
      .min(1)
      .max(100)
      .default(3)
      .describe('Successful MFA logins from one network (N) that make it trusted.'),
    withinDays: z
      .number()
      .int()
      .min(1)
      .max(365)
      .default(30)
      .describe('The successes must fall within this many days (D).'),
    trustDays: z
      .number()
      .int()
      .min(1)
      .max(365)
      .default(30)
      .describe('How long a learned network stays trusted after the last success (T).'),
    prefixV4: z
      .number()
      .int()
      .min(8)
      .max(32)
      .default(24)
      .describe('IPv4 addresses in the same network of this prefix length count as one (32: the address).'),
    prefixV6: z
      .number()
      .int()
      .min(16)
      .max(128)
      .default(64)
      .describe('IPv6 addresses in the same network of this prefix length count as one.'),
  })
  .prefault({})
  .describe('Self-learned trusted addresses, per user (`passgate trust list|revoke`).');

/** Where the country of a source address comes from. */
export const geoSchema = z
  .strictObject({
    databaseFile: z
      .string()
      .min(1)
      .optional()
      .describe(
        'A MaxMind GeoLite2/GeoIP2 Country or City .mmdb file; default: the bundled CC0 ip-location-db geo-whois-asn-country database.',
      ),
  })
  .prefault({})
  .describe('Country lookup of source addresses, for policies and the audit log.');

/** How long an MFA done in a browser session satisfies later sign-ins. */
export const mfaSessionMinutes = z
  .number()
  .int()
  .min(0)
  .max(24 * 60)
  .default(480)
  .describe(
    'An MFA done in this browser session counts for later sign-ins (other applications) this long, unless the application asks for a fresh one (max_age, prompt=login, ForceAuthn). 0: every sign-in that needs MFA asks again.',
  );
