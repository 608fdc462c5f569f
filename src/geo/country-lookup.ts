import type { Config } from '../config/load.js';
import { openDatabase } from './open-database.js';
import { countryOfRecord } from './record-shape.js';
import { lookupForm } from './special-addresses.js';

/** Answers "which country is this source address in?" for policies and the audit log. */
export interface CountryLookup {
  /**
   * The upper-case ISO 3166-1 alpha-2 code of the address's country, or null when it has none:
   * private or special-purpose, unknown to the database, or not an address at all. Never throws.
   */
  country(address: string): string | null;
}

/**
 * Opens the database named by `geo.databaseFile` (default: the bundled CC0 ip-location-db file)
 * once, at start. Synchronous, so the composition root can build it; a missing, unreadable or
 * wrong file raises a configuration error naming the key.
 */
export function openCountryLookup(settings: Config['geo']): CountryLookup {
  const reader = openDatabase(settings.databaseFile);
  // An IPv4-only file answers IPv6 lookups with a wrong country instead of none.
  const ipv4Only = reader.metadata.ipVersion === 4;
  return {
    country(address) {
      const form = lookupForm(address);
      if (form === null || (ipv4Only && form.includes(':'))) return null;
      try {
        return countryOfRecord(reader.get(form));
      } catch {
        return null; // a damaged file: unknown rather than a failed login
      }
    },
  };
}
