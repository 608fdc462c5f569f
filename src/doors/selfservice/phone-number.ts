import type { Config } from '../../config/load.js';
import { toE164 } from '../../directory/ad/entry.js';
import { SelfServiceErrors } from './errors.js';

/**
 * The country a typed number without `+` belongs to: `selfservice.defaultCountry`, else the AD
 * sync's, so that a number a user types and one synchronised from AD normalise alike.
 */
export function mobileCountry(config: Pick<Config, 'selfservice' | 'directory'>): string {
  if (config.selfservice.defaultCountry) return config.selfservice.defaultCountry;
  return config.directory.type === 'ad' ? config.directory.sync.defaultCountry : 'US';
}

/**
 * A number as the user typed it, in E.164 (the AD sync's normalisation), or MOBILE_INVALID:
 * a number libphonenumber-js does not know as valid would only fail later, at sending.
 */
export function normaliseMobile(typed: string, country: string): string {
  const text = typed.trim().slice(0, 40);
  const e164 = text ? toE164(text, country) : undefined;
  if (!e164) throw SelfServiceErrors.MOBILE_INVALID({ detail: `not a valid number for ${country}` });
  return e164;
}
