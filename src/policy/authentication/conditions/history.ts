import { z } from 'zod';
import type { LoginFacts } from '../facts.js';
import { condition } from './condition.js';

const flag = (key: 'trustedAddress' | 'newCountry' | 'newDevice') =>
  condition({
    key,
    schema: z.boolean(),
    compile: (value) => (facts: LoginFacts) => facts[key] === value,
  });

/** The address is (true) or is not (false) in a network this user learned to trust. */
export const trustedAddress = flag('trustedAddress');
/** The user has never (true) or has before (false) signed in from this country. */
export const newCountry = flag('newCountry');
/** The user has never (true) or has before (false) signed in from this browser or device. */
export const newDevice = flag('newDevice');
