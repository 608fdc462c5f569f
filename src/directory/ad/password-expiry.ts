import type { Client, Entry } from 'ldapts';
import type { ActiveDirectoryConfig } from '../../config/directory-schema.js';
import type { ExpiringPassword } from '../directory.js';
import type { DirectoryNaming } from '../naming.js';
import { fileTimeToMs, toDirectoryUser, userAttributes } from './entry.js';
import { durationSeconds, firstValue } from './lockout.js';
import { pages } from './paged.js';

/** userAccountControl bits of accounts whose password never expires, or that cannot sign in. */
const DONT_EXPIRE_PASSWORD = 0x10000;
const ACCOUNTDISABLE = 0x2;
/** A maximum age of "never" (the most negative 64-bit number) or 0. */
const NEVER_AGE = ['-9223372036854775808', '0'];

/**
 * The enabled users under the base DN whose password expires before `until` (and has not yet):
 * pwdLastSet plus the maximum age of their fine-grained password policy (msDS-ResultantPSO),
 * else the domain's maxPwdAge. Accounts whose password never expires, that must change it at the
 * next sign-in (pwdLastSet 0) or whose policy sets no maximum age are left out.
 */
export async function expiringPasswords(
  client: Client,
  domainDn: string,
  config: ActiveDirectoryConfig,
  naming: DirectoryNaming,
  window: { now: number; until: number },
): Promise<ExpiringPassword[]> {
  const maxAges = new Map<string, number | null>();
  const maxAgeOf = async (dn: string, attribute: string) => {
    if (!maxAges.has(dn)) {
      const { searchEntries } = await client.search(dn, { scope: 'base', attributes: [attribute] });
      const value = firstValue(searchEntries[0], attribute);
      maxAges.set(dn, !value || NEVER_AGE.includes(value) ? null : durationSeconds(value) * 1000);
    }
    return maxAges.get(dn)!;
  };
  const found: ExpiringPassword[] = [];
  const filter =
    `(&${config.userFilter}(pwdLastSet>=1)` +
    `(!(userAccountControl:1.2.840.113556.1.4.803:=${DONT_EXPIRE_PASSWORD}))` +
    `(!(userAccountControl:1.2.840.113556.1.4.803:=${ACCOUNTDISABLE})))`;
  const attributes = [...userAttributes(config), 'pwdLastSet', 'msDS-ResultantPSO'];
  for await (const page of pages(client, config.baseDn, {
    filter,
    attributes,
    pageSize: config.sync.pageSize,
  })) {
    for (const entry of page) {
      const expiresAt = await expiryOf(entry, domainDn, maxAgeOf);
      if (expiresAt === undefined || expiresAt <= window.now || expiresAt > window.until) continue;
      found.push({ user: naming.user(toDirectoryUser(entry, [], config, window.now)), expiresAt });
    }
  }
  return found.sort((a, b) => a.expiresAt - b.expiresAt);
}

async function expiryOf(
  entry: Entry,
  domainDn: string,
  maxAgeOf: (dn: string, attribute: string) => Promise<number | null>,
): Promise<number | undefined> {
  const setAt = fileTimeToMs(firstValue(entry, 'pwdLastSet'));
  if (setAt === null) return undefined;
  const pso = firstValue(entry, 'msDS-ResultantPSO');
  const maxAge = pso ? await maxAgeOf(pso, 'msDS-MaximumPasswordAge') : await maxAgeOf(domainDn, 'maxPwdAge');
  return maxAge === null ? undefined : setAt + maxAge;
}
