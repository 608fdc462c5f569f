import { ResultCodeError } from 'ldapts';
import type { PassgateError } from '../../errors.js';
import { DirectoryErrors, type PasswordRefusal, PasswordRefusalCause } from '../errors.js';

/**
 * What the DC's diagnostic text says about a refused password: Samba names the rule, Windows
 * only answers the extended error 0000052D (ERROR_PASSWORD_RESTRICTION), which is `policy`.
 */
const RULE_TEXTS: [RegExp, PasswordRefusal][] = [
  [/too short/i, 'tooShort'],
  [/complexity/i, 'complexity'],
  [/history|already used/i, 'history'],
  [/too young|minimum password age/i, 'tooRecent'],
];

/** Extended error codes (the hex number that opens AD's diagnostic message) that mean "refused by the rules". */
const POLICY_ERRORS = new Set(['0000052d', '00000a91']);

/**
 * The PassgateError for a password write AD refused: PASSWORD_REJECTED with the rule it broke
 * (for the reset site's plain-language text) when AD refused it by policy (result 19
 * constraintViolation or 53 unwillingToPerform, extended error 0000052D); undefined for any
 * other refusal (rights, a missing entry), which is not the user's to fix.
 */
export function passwordWriteRefusal(error: unknown): PassgateError | undefined {
  if (!(error instanceof ResultCodeError)) return undefined;
  const extended = /^([0-9a-f]{8}):/i.exec(error.message)?.[1]?.toLowerCase();
  const byPolicy = extended ? POLICY_ERRORS.has(extended) : error.code === 19 || error.code === 53;
  if (!byPolicy) return undefined;
  const rule = RULE_TEXTS.find(([text]) => text.test(error.message))?.[1] ?? 'policy';
  return DirectoryErrors.PASSWORD_REJECTED({
    detail: `AD refused the new password (${rule}): ${error.message}`,
    cause: new PasswordRefusalCause(rule, error),
  });
}
