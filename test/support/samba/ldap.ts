// LDAP over LDAPS with the OpenLDAP tools (ldapsearch, ldapmodify), and the local samba-tool.
import type { SambaDc } from './domain.js';
import { type LdapEntry, parseLdif } from './ldif.js';
import { run, tool } from './tools.js';

/** Whom the LDAP tools bind as. */
export interface BindOptions {
  /** DN, UPN or DOMAIN\user to bind as; the Administrator by default. */
  bindDn?: string;
  password?: string;
}

/** Where and how deep ldapsearch searches, and as whom. */
export interface SearchOptions extends BindOptions {
  /** The domain by default. */
  base?: string;
  scope?: 'base' | 'one' | 'sub' | 'children';
}

function ldapEnv(dc: SambaDc): Record<string, string> {
  // Our CA only, whatever /etc/ldap/ldap.conf or ~/.ldaprc say.
  return { LDAPTLS_CACERT: dc.caFile, LDAPTLS_REQCERT: 'demand', LDAPCONF: '/dev/null', LDAPRC: '/dev/null' };
}

function bindArgs(dc: SambaDc, options: BindOptions): string[] {
  return [
    '-H',
    dc.url,
    '-x',
    '-D',
    options.bindDn ?? dc.adminUpn,
    '-w',
    options.password ?? dc.adminPassword,
  ];
}

/**
 * ldapsearch over LDAPS (paged, so more than 1,000 entries come back), parsed. Attribute values
 * ldapsearch prints base64 (`name::`: binary ones such as objectGUID, or non-ASCII text) stay
 * base64 and their names are in `base64`.
 */
export async function ldapsearch(
  dc: SambaDc,
  filter: string,
  attrs: string[] = [],
  options: SearchOptions = {},
): Promise<LdapEntry[]> {
  const args = [
    ...bindArgs(dc, options),
    '-LLL',
    '-o',
    'ldif-wrap=no',
    '-b',
    options.base ?? dc.baseDn,
    '-s',
    options.scope ?? 'sub',
    '-E',
    'pr=1000/noprompt',
    filter,
    ...attrs,
  ];
  return parseLdif(await run(tool('ldapsearch'), args, { env: ldapEnv(dc) }));
}

/** Applies LDIF with ldapmodify over LDAPS (`add` for entries without a changetype). */
export async function ldapmodify(
  dc: SambaDc,
  ldif: string,
  { add = false, ...options }: BindOptions & { add?: boolean } = {},
): Promise<void> {
  await run(tool('ldapmodify'), [...bindArgs(dc, options), ...(add ? ['-a'] : [])], {
    env: ldapEnv(dc),
    input: ldif,
  });
}

/** Runs the local samba-tool on the DC's smb.conf, e.g. `sambaTool(dc, 'user', 'list')`. */
export function sambaTool(dc: SambaDc, ...args: string[]): Promise<string> {
  return run(tool('samba-tool'), [...args, '-s', dc.smbConf]);
}
