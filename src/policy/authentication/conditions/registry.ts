import type { ConditionType } from './condition.js';
import { continents, countries } from './geography.js';
import { newCountry, newDevice, trustedAddress } from './history.js';
import { applications, doors, groups, hasToken, lacksToken } from './membership.js';
import { networks } from './networks.js';
import { time } from './time-window.js';

/**
 * Every condition a rule may use under `when:` and `unless:`. A new condition is one file plus
 * one line here; the rule schema, validation and evaluation pick it up.
 */
export const CONDITIONS: readonly ConditionType<never>[] = [
  networks,
  countries,
  continents,
  trustedAddress,
  newCountry,
  newDevice,
  groups,
  applications,
  doors,
  time,
  hasToken,
  lacksToken,
] as unknown as ConditionType<never>[];
