import type { Client, Entry } from 'ldapts';
import type { PasswordRules } from '../directory.js';
import { durationSeconds, firstValue } from './lockout.js';

/** pwdProperties bit DOMAIN_PASSWORD_COMPLEX. */
const COMPLEX = 1;

/**
 * The password rules that apply to a user: their fine-grained password policy (msDS-ResultantPSO)
 * when they have one, else the domain object's minPwdLength, pwdProperties, pwdHistoryLength and
 * minPwdAge.
 */
export async function passwordRules(client: Client, domainDn: string, user: Entry): Promise<PasswordRules> {
  const pso = firstValue(user, 'msDS-ResultantPSO');
  if (pso) {
    const { searchEntries } = await client.search(pso, {
      scope: 'base',
      attributes: [
        'msDS-MinimumPasswordLength',
        'msDS-PasswordComplexityEnabled',
        'msDS-PasswordHistoryLength',
        'msDS-MinimumPasswordAge',
      ],
    });
    const found = searchEntries[0];
    return {
      minLength: Number(firstValue(found, 'msDS-MinimumPasswordLength') ?? 0),
      complexity: firstValue(found, 'msDS-PasswordComplexityEnabled')?.toUpperCase() === 'TRUE',
      historyLength: Number(firstValue(found, 'msDS-PasswordHistoryLength') ?? 0),
      minAgeDays: days(firstValue(found, 'msDS-MinimumPasswordAge')),
    };
  }
  const { searchEntries } = await client.search(domainDn, {
    scope: 'base',
    attributes: ['minPwdLength', 'pwdProperties', 'pwdHistoryLength', 'minPwdAge'],
  });
  const domain = searchEntries[0];
  return {
    minLength: Number(firstValue(domain, 'minPwdLength') ?? 0),
    complexity: (Number(firstValue(domain, 'pwdProperties') ?? 0) & COMPLEX) !== 0,
    historyLength: Number(firstValue(domain, 'pwdHistoryLength') ?? 0),
    minAgeDays: days(firstValue(domain, 'minPwdAge')),
  };
}

/** An AD duration as whole days; "never" (the most negative 64-bit number) counts as none. */
function days(value: string | undefined): number {
  if (!value || value === '-9223372036854775808') return 0;
  return Math.ceil(durationSeconds(value) / 86_400);
}
