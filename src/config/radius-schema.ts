import { z } from 'zod';

/** The RADIUS door (`src/doors/radius/`); clients come from `<metadataDir>/radius/*.yaml`. */
export const radiusSchema = z
  .strictObject({
    enabled: z.boolean().default(false).describe('Answer RADIUS Access-Requests over UDP.'),
    host: z
      .string()
      .min(1)
      .default('::')
      .describe('Address the UDP socket binds; `::` takes IPv4 and IPv6, `0.0.0.0` IPv4 only.'),
    port: z.number().int().min(0).max(65535).default(1812).describe('UDP port of RADIUS authentication.'),
    dictionaries: z
      .array(z.string().min(1))
      .default([])
      .describe(
        'Extra RADIUS dictionary files in FreeRADIUS format (e.g. `/usr/share/freeradius/dictionary.fortinet`), for vendor reply attributes; the RFC attributes are built in.',
      ),
    duplicateCacheSeconds: z
      .number()
      .int()
      .min(1)
      .max(300)
      .default(30)
      .describe(
        'How long an answer is kept for retransmissions of its request (RFC 5080): a retransmission never sends a second passcode.',
      ),
    duplicateCacheEntries: z
      .number()
      .int()
      .min(100)
      .default(100_000)
      .describe('Most answers kept for retransmissions (the oldest go first).'),
    passwordCacheSeconds: z
      .number()
      .int()
      .min(0)
      .max(3600)
      .default(300)
      .describe(
        "How long a user's good password is remembered per client (as a salted HMAC, per server process), so that the client's next Access-Requests with it are not checked against the directory; the user's row is read again each time (disabled, removed or given a new password in Passgate: checked in full at once) and the lockout shield's counters too. 0 turns the cache off. A user disabled or locked in Active Directory, or whose password changed there, can sign in with the old password for at most this long.",
      ),
    passwordCacheEntries: z
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .default(10_000)
      .describe(
        'Users and clients whose password is remembered at most per process; the least recently used go first.',
      ),
    dropLogMinutes: z
      .number()
      .int()
      .min(1)
      .default(15)
      .describe(
        'A dropped request (unknown client, no Message-Authenticator ...) is logged once per client and reason per period; every one is counted in `/metrics`.',
      ),
    radsec: z
      .strictObject({
        enabled: z
          .boolean()
          .default(false)
          .describe('Also answer RADIUS over TLS (RadSec, RFC 6614) on TCP.'),
        host: z.string().min(1).default('::').describe('Address the RadSec listener binds.'),
        port: z.number().int().min(0).max(65535).default(2083).describe('TCP port of RadSec.'),
        certFile: z.string().min(1).optional().describe('PEM certificate (chain) of the RadSec server.'),
        keyFile: z.string().min(1).optional().describe('PEM private key of that certificate.'),
        caFile: z
          .string()
          .min(1)
          .optional()
          .describe("PEM CA certificates that issue the clients' certificates: a client must present one."),
      })
      .prefault({})
      .refine((radsec) => !radsec.enabled || (radsec.certFile && radsec.keyFile && radsec.caFile), {
        message: 'RadSec needs certFile, keyFile and caFile',
      })
      .describe('RADIUS over TLS; only clients with `radsec: true` in their file may use it.'),
    watch: z
      .boolean()
      .default(true)
      .describe(
        'Reload the client files (`<metadataDir>/radius/*.yaml`) when they change (SIGHUP always reloads).',
      ),
  })
  .prefault({})
  .describe('RADIUS server (door `radius`).');
