// Domain-wide settings: the lockout policy, fine-grained password policies, UPN suffixes.
import type { SambaDc } from './domain.js';
import type { AdObject } from './groups.js';
import { ldapmodify, ldapsearch, sambaTool } from './ldap.js';
import { dnOf, ldifLine, type Ref } from './ldif.js';

/** Adds a UPN suffix to the forest (uPNSuffixes of CN=Partitions); existing ones are kept. */
export async function addUpnSuffix(dc: SambaDc, suffix: string): Promise<void> {
  const found = await ldapsearch(dc, `(uPNSuffixes=${suffix})`, ['dn'], {
    base: `CN=Partitions,CN=Configuration,${dc.baseDn}`,
    scope: 'base',
  });
  if (found.length > 0) return;
  await ldapmodify(
    dc,
    `dn: CN=Partitions,CN=Configuration,${dc.baseDn}\nchangetype: modify\nadd: uPNSuffixes\n${ldifLine('uPNSuffixes', suffix)}\n-\n`,
  );
}

/**
 * Domain lockout policy through samba-tool domain passwordsettings (the domain starts with
 * threshold 5, 30 minutes). Domain-wide: it changes the policy for every test using the DC.
 */
export async function setLockoutPolicy(
  dc: SambaDc,
  {
    threshold = 5,
    durationMinutes = 30,
    resetAfterMinutes = 30,
  }: { threshold?: number; durationMinutes?: number; resetAfterMinutes?: number } = {},
): Promise<void> {
  await sambaTool(
    dc,
    'domain',
    'passwordsettings',
    'set',
    `--account-lockout-threshold=${threshold}`,
    `--account-lockout-duration=${durationMinutes}`,
    `--reset-account-lockout-after=${resetAfterMinutes}`,
  );
}

/** A fine-grained password policy to create; durations in minutes, ages in days (0 = none). */
export interface PsoOptions {
  name: string;
  appliesTo: Ref[];
  precedence?: number;
  minPasswordLength?: number;
  complexity?: boolean;
  historyLength?: number;
  minPasswordAgeDays?: number;
  maxPasswordAgeDays?: number;
  lockoutThreshold?: number;
  lockoutDurationMinutes?: number;
  lockoutWindowMinutes?: number;
}

/**
 * A fine-grained password policy (msDS-PasswordSettings) applied to groups or users; the resultant
 * one shows as msDS-ResultantPSO on a user.
 */
export async function createPso(
  dc: SambaDc,
  {
    name,
    precedence = 10,
    appliesTo,
    minPasswordLength = 7,
    complexity = true,
    historyLength = 24,
    minPasswordAgeDays = 0,
    maxPasswordAgeDays = 0,
    lockoutThreshold = 5,
    lockoutDurationMinutes = 30,
    lockoutWindowMinutes = 30,
  }: PsoOptions,
): Promise<AdObject> {
  const minutes = (m: number) => String(-BigInt(m) * 60n * 10_000_000n);
  const days = (d: number) => (d === 0 ? '-9223372036854775808' : String(-BigInt(d) * 86_400n * 10_000_000n));
  const dn = `CN=${name},CN=Password Settings Container,CN=System,${dc.baseDn}`;
  const lines = [
    ldifLine('dn', dn),
    'objectClass: msDS-PasswordSettings',
    `msDS-PasswordSettingsPrecedence: ${precedence}`,
    'msDS-PasswordReversibleEncryptionEnabled: FALSE',
    `msDS-PasswordHistoryLength: ${historyLength}`,
    `msDS-PasswordComplexityEnabled: ${complexity ? 'TRUE' : 'FALSE'}`,
    `msDS-MinimumPasswordLength: ${minPasswordLength}`,
    `msDS-MinimumPasswordAge: ${minPasswordAgeDays === 0 ? '0' : days(minPasswordAgeDays)}`,
    `msDS-MaximumPasswordAge: ${days(maxPasswordAgeDays)}`,
    `msDS-LockoutThreshold: ${lockoutThreshold}`,
    `msDS-LockoutObservationWindow: ${minutes(lockoutWindowMinutes)}`,
    `msDS-LockoutDuration: ${minutes(lockoutDurationMinutes)}`,
    ...appliesTo.map((t) => ldifLine('msDS-PSOAppliesTo', dnOf(t))),
  ];
  await ldapmodify(dc, `${lines.join('\n')}\n`, { add: true });
  return { dn, name };
}
