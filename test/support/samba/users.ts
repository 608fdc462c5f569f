// User fixtures: accounts created over LDAPS, and the account states AD answers binds with.
import { DEFAULT_PASSWORD, type SambaDc } from './domain.js';
import { type AdObject, createGroup, createOu } from './groups.js';
import { ldapmodify, ldapsearch } from './ldap.js';
import { attr, dnOf, fileTime, ldifLine, type Ref, unicodePwd } from './ldif.js';

/** A user to create; only `sam` is required. */
export interface UserOptions {
  /** sAMAccountName (at most 20 characters); also the CN unless `cn` is given. */
  sam: string;
  /** DEFAULT_PASSWORD when not given; null for none (userAccountControl PASSWD_NOTREQD). */
  password?: string | null;
  /** sam@example.test by default; any suffix binds (ALT_UPN_SUFFIX is registered). */
  upn?: string;
  cn?: string;
  /** DN of the parent; CN=Users by default. */
  container?: string;
  givenName?: string;
  sn?: string;
  displayName?: string;
  mail?: string;
  mobile?: string;
  telephoneNumber?: string;
  disabled?: boolean;
  mustChangePassword?: boolean;
  /** accountExpires. */
  accountExpires?: Date;
  /** Any other attributes. */
  attributes?: Record<string, string | string[]>;
}

/** A user the fixtures created, with the password it binds with. */
export interface AdUser {
  dn: string;
  sam: string;
  upn: string;
  password: string | null;
}

const UAC = { ACCOUNTDISABLE: 0x2, PASSWD_NOTREQD: 0x20, NORMAL_ACCOUNT: 0x200 };

function userLdif(dc: SambaDc, u: UserOptions): { dn: string; upn: string; ldif: string } {
  const dn = `CN=${u.cn ?? u.sam},${u.container ?? `CN=Users,${dc.baseDn}`}`;
  const upn = u.upn ?? `${u.sam}@${dc.upnSuffix}`;
  const values: Record<string, string | string[] | undefined> = {
    objectClass: 'user',
    sAMAccountName: u.sam,
    userPrincipalName: upn,
    givenName: u.givenName,
    sn: u.sn,
    displayName: u.displayName,
    mail: u.mail,
    mobile: u.mobile,
    telephoneNumber: u.telephoneNumber,
    userAccountControl: String(
      UAC.NORMAL_ACCOUNT |
        (u.disabled ? UAC.ACCOUNTDISABLE : 0) |
        (u.password === null ? UAC.PASSWD_NOTREQD : 0),
    ),
    accountExpires: u.accountExpires ? fileTime(u.accountExpires) : undefined,
    ...u.attributes,
  };
  const lines = [ldifLine('dn', dn)];
  for (const [name, value] of Object.entries(values)) {
    for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value])
      lines.push(ldifLine(name, v));
  }
  if (u.password !== null) lines.push(unicodePwd(u.password ?? DEFAULT_PASSWORD));
  return { dn, upn, ldif: `${lines.join('\n')}\n` };
}

/**
 * Creates a user over LDAPS (with its password, enabled unless `disabled`). `upn` defaults to
 * sam@example.test (any suffix works, e.g. ALT_UPN_SUFFIX). Returns dn, sam, upn and password.
 */
export async function createUser(dc: SambaDc, options: UserOptions): Promise<AdUser> {
  const { dn, upn, ldif } = userLdif(dc, options);
  await ldapmodify(dc, ldif, { add: true });
  const user = {
    dn,
    sam: options.sam,
    upn,
    password: options.password === undefined ? DEFAULT_PASSWORD : options.password,
  };
  if (options.mustChangePassword) await setMustChangePassword(dc, user);
  return user;
}

// Replaces attributes of an entry with one value each.
async function replaceAttributes(dc: SambaDc, target: Ref, values: Record<string, string>) {
  const lines = [ldifLine('dn', dnOf(target)), 'changetype: modify'];
  for (const [name, value] of Object.entries(values))
    lines.push(`replace: ${name}`, ldifLine(name, value), '-');
  await ldapmodify(dc, `${lines.join('\n')}\n`);
}

async function userAccountControl(dc: SambaDc, user: Ref): Promise<number> {
  const [entry] = await ldapsearch(dc, '(objectClass=*)', ['userAccountControl'], {
    base: dnOf(user),
    scope: 'base',
  });
  return Number(entry && attr(entry, 'userAccountControl'));
}

/** Disables an account (userAccountControl ACCOUNTDISABLE); bind answers `data 533`. */
export async function disableUser(dc: SambaDc, user: Ref): Promise<void> {
  await replaceAttributes(dc, user, {
    userAccountControl: String((await userAccountControl(dc, user)) | UAC.ACCOUNTDISABLE),
  });
}

/** Enables an account again. */
export async function enableUser(dc: SambaDc, user: Ref): Promise<void> {
  await replaceAttributes(dc, user, {
    userAccountControl: String((await userAccountControl(dc, user)) & ~UAC.ACCOUNTDISABLE),
  });
}

/** User must change the password at next logon (pwdLastSet=0); bind answers `data 773`. */
export async function setMustChangePassword(dc: SambaDc, user: Ref): Promise<void> {
  await replaceAttributes(dc, user, { pwdLastSet: '0' });
}

/** Account expired (accountExpires in the past, yesterday by default); bind answers `data 701`. */
export async function expireAccount(
  dc: SambaDc,
  user: Ref,
  when = new Date(Date.now() - 86_400_000),
): Promise<void> {
  await replaceAttributes(dc, user, { accountExpires: fileTime(when) });
}

/** Clears a lockout (lockoutTime=0) and, with it, badPwdCount. */
export async function unlockUser(dc: SambaDc, user: Ref): Promise<void> {
  await replaceAttributes(dc, user, { lockoutTime: '0' });
}

/** Administrator's password reset (unicodePwd replace over LDAPS). */
export async function setPassword(dc: SambaDc, user: Ref, password: string): Promise<void> {
  await ldapmodify(
    dc,
    `${ldifLine('dn', dnOf(user))}\nchangetype: modify\nreplace: unicodePwd\n${unicodePwd(password)}\n-\n`,
  );
}

/**
 * Creates `count` enabled users `<prefix>00001`... (with mail, mobile, names) in a new OU=<prefix>
 * with ONE ldapadd, and with `group` a group `<prefix>-all` of them all. By default they have no
 * password (userAccountControl 544, PASSWD_NOTREQD: about 5 ms a user); a `password` for all costs
 * about 25 ms a user in Samba's password hashing: give one with `setPassword` to the few that bind.
 */
export async function bulkUsers(
  dc: SambaDc,
  count: number,
  prefix: string,
  { password = null, group = false }: { password?: string | null; group?: boolean } = {},
): Promise<{ ou: string; users: AdUser[]; group: AdObject | undefined; ms: number }> {
  const began = performance.now();
  const ou = await createOu(dc, prefix);
  const width = Math.max(5, String(count).length);
  if (prefix.length + width > 20)
    throw new Error(`sAMAccountName has at most 20 characters: shorten ${prefix}`);
  const users: AdUser[] = [];
  const chunks: string[] = [];
  for (let i = 1; i <= count; i++) {
    const sam = `${prefix}${String(i).padStart(width, '0')}`;
    const { dn, upn, ldif } = userLdif(dc, {
      sam,
      container: ou.dn,
      password,
      givenName: 'Bulk',
      sn: `User ${i}`,
      displayName: `Bulk User ${i}`,
      mail: `${sam}@${dc.upnSuffix}`,
      mobile: `+49151${String(i).padStart(8, '0')}`, // valid German mobile numbers
    });
    users.push({ dn, sam, upn, password });
    chunks.push(ldif);
  }
  await ldapmodify(dc, chunks.join('\n'), { add: true });
  const all = group
    ? await createGroup(dc, { name: `${prefix}-all`, container: ou.dn, members: users })
    : undefined;
  return { ou: ou.dn, users, group: all, ms: Math.round(performance.now() - began) };
}
