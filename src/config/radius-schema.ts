import { z } from 'zod';
import { credentialCacheSetting } from './credential-cache-schema.js';

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
    credentialCache: credentialCacheSetting({
      remembered: "a user's good password, per client,",
      spared:
        "the client's next Access-Requests with it are not checked against the directory (the user's row and the lockout shield's counters are read again each time: a user disabled, removed or given a new password in Passgate is checked in full at once)",
      tradeOff: 'can sign in with the old password',
      entries: 'Users and clients',
      summary: 'The short-lived cache of good RADIUS passwords (docs/radius.md).',
      defaultMinutes: 5,
    }),
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
