import { z } from 'zod';

/** What a door says about its cache of good passwords in the generated configuration page. */
export interface CredentialCacheWording {
  /** What is remembered, e.g. "a device's good password". */
  remembered: string;
  /** What the cache spares, e.g. "its next requests are not checked against the directory". */
  spared: string;
  /** What a change in the directory allows for at most `minutes`, e.g. "can keep syncing". */
  tradeOff: string;
  /** What one entry is, e.g. "Devices (user and DeviceId)". */
  entries: string;
  /** The whole setting's description. */
  summary: string;
  /** Default minutes. */
  defaultMinutes: number;
}

/**
 * A door's `credentialCache` setting (minutes, maxEntries): one shape for every door that keeps
 * good passwords for a short time (ActiveSync, RADIUS), built by src/engine/credential-cache.ts.
 */
export function credentialCacheSetting(wording: CredentialCacheWording) {
  return z
    .strictObject({
      minutes: z
        .number()
        .int()
        .min(0)
        .max(60)
        .default(wording.defaultMinutes)
        .describe(
          `How long ${wording.remembered} is remembered (as a salted HMAC, per server process) so that ${wording.spared}; 0 turns the cache off. A user disabled or locked in the directory, or whose password changed there, ${wording.tradeOff} for at most this long.`,
        ),
      maxEntries: z
        .number()
        .int()
        .min(1)
        .max(1_000_000)
        .default(10_000)
        .describe(`${wording.entries} remembered at most per process; the least recently used go first.`),
    })
    .prefault({})
    .describe(wording.summary);
}
