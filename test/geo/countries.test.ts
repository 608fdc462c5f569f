import { describe, expect, it } from 'vitest';
import {
  CONTINENT_CODES,
  COUNTRY_CODES,
  continentOf,
  continentsOf,
  countryName,
  isContinentCode,
  isCountryCode,
} from '../../src/geo/countries.js';

describe('country and continent codes', () => {
  it('knows the countries a policy may name, and only upper-case ISO codes', () => {
    for (const code of ['US', 'DE', 'JP', 'NA', 'XK']) expect(isCountryCode(code)).toBe(true);
    for (const code of ['us', 'EU', 'ZZ', 'AN', 'USA', '', 'constructor', '__proto__'])
      expect(isCountryCode(code)).toBe(false);
    expect(COUNTRY_CODES.length).toBeGreaterThanOrEqual(249);
    expect(COUNTRY_CODES).toEqual([...COUNTRY_CODES].sort());
  });

  it('knows the seven continents', () => {
    expect(CONTINENT_CODES).toEqual(['AF', 'AN', 'AS', 'EU', 'NA', 'OC', 'SA']);
    expect(isContinentCode('EU')).toBe(true);
    expect(isContinentCode('eu')).toBe(false);
    expect(isContinentCode('DE')).toBe(false);
  });

  it('gives the continent of a country for continent conditions', () => {
    expect(continentOf('DE')).toBe('EU');
    expect(continentOf('US')).toBe('NA');
    expect(continentOf('BR')).toBe('SA');
    expect(continentOf('NA')).toBe('AF'); // Namibia, not North America
    expect(continentOf('ZZ')).toBeNull();
  });

  it('lists every continent of a transcontinental country, main one first', () => {
    expect(continentsOf('RU')).toEqual(['AS', 'EU']);
    expect(continentsOf('FR')).toEqual(['EU']);
    expect(continentsOf('ZZ')).toEqual([]);
  });

  it('names countries for messages', () => {
    expect(countryName('CH')).toBe('Switzerland');
    expect(countryName('ZZ')).toBeNull();
  });
});
