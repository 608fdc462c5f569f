/**
 * Masking of destinations for logs, audit and the pages ("we sent a code to ..."): enough to
 * recognise one's own phone or mailbox, not enough to learn someone else's.
 */

import { createRequire } from 'node:module';

const MASK = '•';

type PhoneNumbers = typeof import('libphonenumber-js/min');
let phoneNumbers: PhoneNumbers | undefined;

/**
 * libphonenumber-js, loaded at the first masked phone number rather than with the configuration
 * schema (the outbox plug-in imports this module, and CLI commands need neither).
 */
function phones(): PhoneNumbers {
  phoneNumbers ??= createRequire(import.meta.url)('libphonenumber-js/min') as PhoneNumbers;
  return phoneNumbers;
}

/**
 * Two-digit country calling codes; with 1 and 7 the rest are three digits long. ITU calling
 * codes are prefix-free, so this decides the length of the code without a full numbering plan.
 */
const TWO_DIGIT_CODES = new Set(
  '20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58 60 61 62 63 64 65 66 81 82 84 86 90 91 92 93 94 95 98'.split(
    ' ',
  ),
);

/** Length of the country calling code at the start of an E.164 number's digits. */
function callingCodeLength(digits: string): number {
  if (digits.startsWith('1') || digits.startsWith('7')) return 1;
  return TWO_DIGIT_CODES.has(digits.slice(0, 2)) ? 2 : 3;
}

/**
 * A phone number in its international format with every digit hidden but the country code, the
 * first digit of the national number (mobile or fixed line, in most plans) and the last two:
 * `+33 6 •• •• •• 42`. Undefined when the number is not a known one.
 */
function maskFormatted(to: string): string | undefined {
  const parsed = phones().parsePhoneNumberFromString(to);
  if (!parsed?.isPossible()) return undefined;
  const formatted = parsed.formatInternational();
  const prefix = `+${parsed.countryCallingCode} `;
  if (!formatted.startsWith(prefix)) return undefined;
  const national = formatted.slice(prefix.length);
  const total = national.replace(/\D/g, '').length;
  let seen = 0;
  return prefix + national.replace(/\d/g, (digit) => (++seen === 1 || seen > total - 2 ? digit : MASK));
}

/**
 * A destination as it may be shown or logged: a phone number keeps its country code, the first
 * and the last two digits (`+33 6 •• •• •• 42`), an e-mail address its first character and
 * domain (`a•••@example.com`).
 */
export function maskDestination(to: string): string {
  const at = to.lastIndexOf('@');
  if (at > 0) return `${to[0]}${MASK.repeat(3)}@${to.slice(at + 1)}`;
  const digits = to.replace(/\D/g, '');
  if (digits.length < 5) return MASK.repeat(Math.max(digits.length, 3));
  const last = digits.slice(-2);
  if (!to.trim().startsWith('+')) return `${MASK.repeat(digits.length - 2)} ${last}`;
  const formatted = maskFormatted(`+${digits}`);
  if (formatted) return formatted;
  const code = digits.slice(0, callingCodeLength(digits));
  const hidden = digits.length - code.length - 2;
  return `+${code} ${MASK.repeat(Math.max(hidden, 1))} ${last}`;
}
