import { continents, countries } from 'countries-list';

/**
 * Country and continent codes that policies may name, from countries-list (ISO 3166-1 alpha-2
 * plus XK for Kosovo, which MaxMind and the RIRs use). Country and continent codes overlap (NA is
 * Namibia and North America, AS American Samoa and Asia), so a policy keeps them in separate keys.
 */

/** Every country code a policy may name, sorted; what "unknown country code" errors list against. */
export const COUNTRY_CODES: readonly string[] = Object.freeze(Object.keys(countries).sort());

/** The seven continent codes (AF, AN, AS, EU, NA, OC, SA), for continent conditions. */
export const CONTINENT_CODES: readonly string[] = Object.freeze(Object.keys(continents).sort());

const countrySet: ReadonlySet<string> = new Set(COUNTRY_CODES);
const continentSet: ReadonlySet<string> = new Set(CONTINENT_CODES);

/** True for an upper-case country code that a lookup can return and a policy can name. */
export function isCountryCode(code: string): boolean {
  return countrySet.has(code);
}

/** True for an upper-case continent code, so a continent condition can be validated. */
export function isContinentCode(code: string): boolean {
  return continentSet.has(code);
}

/** The main continent of a country (RU and TR: AS), or null for an unknown code. */
export function continentOf(code: string): string | null {
  return isCountryCode(code) ? countries[code as keyof typeof countries].continent : null;
}

/**
 * Every continent a country lies in, main one first (RU: AS, EU), so a policy can decide whether
 * a transcontinental country matches a continent condition; empty for an unknown code.
 */
export function continentsOf(code: string): readonly string[] {
  if (!isCountryCode(code)) return [];
  const country = countries[code as keyof typeof countries];
  return 'continents' in country && country.continents ? country.continents : [country.continent];
}

/** The English name of a country, for messages and the admin site; null for an unknown code. */
export function countryName(code: string): string | null {
  return isCountryCode(code) ? countries[code as keyof typeof countries].name : null;
}
