import { isCountryCode } from './countries.js';

/**
 * Reads the country out of one database record, whatever the vendor's shape: ip-location-db
 * (`{ country_code: 'US' }`), MaxMind GeoIP2/GeoLite2 Country and City
 * (`{ country: { iso_code: 'US' } }`, falling back to `registered_country` for networks without
 * a located country, such as anycast ranges), and IPinfo (`{ country: 'US' }`). Returns an
 * upper-case code that policies can name, or null: codes outside ISO 3166-1 (EU, AP, ZZ, and the
 * withdrawn AN that whois data still carries) mean "unknown".
 */
export function countryOfRecord(record: unknown): string | null {
  if (typeof record !== 'object' || record === null) return null;
  const fields = record as Record<string, unknown>;
  return (
    countryCode(fields.country_code) ??
    countryCode(fields.country) ??
    countryCode(isoCode(fields.country)) ??
    countryCode(isoCode(fields.registered_country))
  );
}

function isoCode(value: unknown): unknown {
  return typeof value === 'object' && value !== null ? (value as { iso_code?: unknown }).iso_code : undefined;
}

function countryCode(value: unknown): string | null {
  if (typeof value !== 'string' || value.length !== 2) return null;
  if (isCountryCode(value)) return value; // the usual case: already upper-case, no new string
  const upper = value.toUpperCase();
  return isCountryCode(upper) ? upper : null;
}
