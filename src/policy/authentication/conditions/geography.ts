import { z } from 'zod';
import { CONTINENT_CODES, isContinentCode, isCountryCode } from '../../../geo/countries.js';
import { condition } from './condition.js';

const country = z
  .string()
  .transform((c) => c.toUpperCase())
  .refine(isCountryCode, {
    error: (issue) => `"${String(issue.input)}" is not an ISO 3166 country code (e.g. DE, FR, US)`,
  });

const continent = z
  .string()
  .transform((c) => c.toUpperCase())
  .refine(isContinentCode, {
    error: (issue) => `"${String(issue.input)}" is not a continent code (${CONTINENT_CODES.join(', ')})`,
  });

/** The source address is in one of these countries (an unknown country never matches). */
export const countries = condition({
  key: 'countries',
  schema: z.array(country).min(1),
  compile(value) {
    const set = new Set(value);
    return ({ country: c }) => c !== null && set.has(c);
  },
});

/** The source address is on one of these continents (EU, NA, SA, AS, AF, OC, AN). */
export const continents = condition({
  key: 'continents',
  schema: z.array(continent).min(1),
  compile(value) {
    const set = new Set(value);
    return ({ continent: c }) => c !== null && set.has(c);
  },
});
