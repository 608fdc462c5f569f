// Types of samba-dc.js: a real Samba 4 Active Directory domain controller for the tests.

export const REALM: 'EXAMPLE.TEST';
export const DOMAIN: 'EXAMPLE';
export const UPN_SUFFIX: 'example.test';
/** A second UPN suffix registered in the forest (uPNSuffixes of CN=Partitions). */
export const ALT_UPN_SUFFIX: 'example.com';
export const BASE_DN: 'DC=example,DC=test';
export const ADMIN_PASSWORD: string;
export const ADMIN_DN: string;
export const ADMIN_UPN: string;
/** Password of the users the fixtures create when none is given. */
export const DEFAULT_PASSWORD: string;

/** How to reach a DC; JSON-safe (it travels from the global setup to the tests). */
export interface SambaDc {
  /** ldaps://127.0.0.x:636 (simple binds need LDAPS or StartTLS). */
  url: string;
  /** ldap://127.0.0.x:389 (StartTLS, or refusals of simple binds in clear text). */
  ldapUrl: string;
  /** ldaps://127.0.0.x:3269, the global catalog. */
  gcUrl: string;
  /** The DC's own loopback address (127.0.0.1 unless another DC runs on the machine); IPv4 only. */
  host: string;
  port: number;
  baseDn: string;
  realm: string;
  /** NetBIOS domain name, for EXAMPLE\user binds. */
  domain: string;
  upnSuffix: string;
  altUpnSuffix: string;
  adminDn: string;
  adminUpn: string;
  adminPassword: string;
  /** PEM of the CA that signed the DC's certificate (IP `host`, DNS localhost and dc1.example.test). */
  caFile: string;
  /** The domain's folder (etc/smb.conf, private/, log/samba.out, tls/). */
  dir: string;
  smbConf: string;
  /** Control endpoint of the process that runs the DC (stop/start/restart, leases). */
  controlUrl?: string;
}

/** What a test run is given as `inject('samba')`. */
export type SambaProvided = SambaDc | { unavailable: string };

/** A DC this process started. */
export interface SambaHandle extends SambaDc {
  pid: number;
  /** Standard output and error of samba. */
  log: string;
  /** SIGTERM to its process group (samba exits 127 on it), SIGKILL after 10 s. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Stops it and starts it again on the same domain. */
  restart(): Promise<SambaHandle>;
}

/** A DC served to a test run (with its control endpoint). */
export interface ServedDc {
  details: SambaDc & { controlUrl: string };
  readonly pid: number;
  close(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Folder of the cached, provisioned domain for this recipe and Samba version. */
export function cacheDir(): string;
/** Makes sure the cached domain exists (provisioning it once per machine, ~10 s); returns its folder. */
export function prepare(): Promise<string>;
/**
 * A fresh domain in `dir`: a copy of the cached provision with its paths rewritten, and a
 * certificate for `host` (by default an address claimed for this process with `claimHost`).
 */
export function provision(dir: string, options?: { host?: string }): Promise<SambaDc>;
/** Claims a loopback address (127.0.0.1, 127.0.0.2...) no other DC on the machine uses. */
export function claimHost(): Promise<string>;
/** Gives back an address `claimHost` claimed. */
export function releaseHost(host: string): void;
/** Connection details of the DC whose domain lives in `dir`. */
export function details(dir: string): SambaDc;
/** Starts the DC of a provisioned `dir` as a child of this process; resolves once LDAPS answers a bind. */
export function start(dir: string, options?: { timeoutMs?: number }): Promise<SambaHandle>;
/**
 * Claims an address, provisions `dir` (a new temporary folder, removed by `close`, by default),
 * starts the DC and its control endpoint.
 */
export function serve(dir?: string, options?: { remove?: boolean }): Promise<ServedDc>;

/** Takes a lease on a served DC for this process; resolves to the function that releases it. */
export function holdDc(dc: SambaDc, mode?: 'shared' | 'exclusive'): Promise<() => Promise<void>>;
/** Stops a served DC (after the other holders of shared leases have released them). */
export function stopDc(dc: SambaDc): Promise<void>;
/** Starts a served DC again after `stopDc`. */
export function startDc(dc: SambaDc): Promise<void>;
/** Restarts a served DC (after the other holders of shared leases have released them). */
export function restartDc(dc: SambaDc): Promise<void>;
/** The served DC's samba process id (null while stopped) and who holds leases on it. */
export function dcStatus(dc: SambaDc): Promise<{
  pid: number | null;
  leases: { shared: Record<string, number>; exclusive: string | null; waiting: number };
}>;
/** The details a run was given, or an error naming why there are none. */
export function requireDc(provided: SambaProvided | undefined): SambaDc;

/** An entry as ldapsearch prints it. */
export interface LdapEntry {
  dn: string;
  /** Values as printed; those printed `name:: base64` (objectGUID, non-ASCII text) stay base64. */
  attributes: Record<string, string[]>;
  /** Names of the attributes whose values are base64. */
  base64: string[];
}

export interface BindOptions {
  /** DN, UPN or DOMAIN\user to bind as; the Administrator by default. */
  bindDn?: string;
  password?: string;
}

export interface SearchOptions extends BindOptions {
  /** The domain by default. */
  base?: string;
  scope?: 'base' | 'one' | 'sub' | 'children';
}

/** ldapsearch over LDAPS (paged, so more than 1,000 entries come back), parsed. */
export function ldapsearch(
  dc: SambaDc,
  filter: string,
  attrs?: string[],
  options?: SearchOptions,
): Promise<LdapEntry[]>;
/** Parses the LDIF of ldapsearch -LLL -o ldif-wrap=no. */
export function parseLdif(text: string): LdapEntry[];
/** First value of an attribute (as printed), by name in any case. */
export function attr(entry: LdapEntry, name: string): string | undefined;
/** All values of an attribute as text (base64 values decoded as UTF-8). */
export function text(entry: LdapEntry, name: string): string[];
/** The text form of an objectGUID given as base64 (as samba-tool and Windows print it). */
export function guidToString(base64: string): string;
/** AD time (100 ns intervals since 1601) of a date, as accountExpires or pwdLastSet take it. */
export function fileTime(date: Date): string;
/** Applies LDIF with ldapmodify over LDAPS; `add` for entries without a changetype. */
export function ldapmodify(
  dc: SambaDc,
  ldif: string,
  options?: BindOptions & { add?: boolean },
): Promise<void>;
/** Runs the local samba-tool against the DC's smb.conf; resolves to its output. */
export function sambaTool(dc: SambaDc, ...args: string[]): Promise<string>;

type Ref = string | { dn: string };

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

export interface AdUser {
  dn: string;
  sam: string;
  upn: string;
  password: string | null;
}

export interface AdObject {
  dn: string;
  name: string;
}

export function createUser(dc: SambaDc, options: UserOptions): Promise<AdUser>;
export function createGroup(
  dc: SambaDc,
  options: {
    name: string;
    container?: string;
    scope?: 'global' | 'domainLocal' | 'universal';
    members?: Ref[];
    mail?: string;
    description?: string;
  },
): Promise<AdObject>;
/** Adds users or groups to a group (nested membership: add a group). */
export function addMembers(dc: SambaDc, group: Ref, members: Ref[]): Promise<void>;
export function createOu(dc: SambaDc, name: string, parent?: string): Promise<AdObject>;
/** userAccountControl ACCOUNTDISABLE; a bind answers data 533. */
export function disableUser(dc: SambaDc, user: Ref): Promise<void>;
export function enableUser(dc: SambaDc, user: Ref): Promise<void>;
/** pwdLastSet=0; a bind answers data 773. */
export function setMustChangePassword(dc: SambaDc, user: Ref): Promise<void>;
/** accountExpires in the past (yesterday by default); a bind answers data 701. */
export function expireAccount(dc: SambaDc, user: Ref, when?: Date): Promise<void>;
/** lockoutTime=0: unlocks and clears badPwdCount. */
export function unlockUser(dc: SambaDc, user: Ref): Promise<void>;
/** Administrator's reset of a password (unicodePwd over LDAPS). */
export function setPassword(dc: SambaDc, user: Ref, password: string): Promise<void>;
/** Registers one more UPN suffix in the forest (idempotent). */
export function addUpnSuffix(dc: SambaDc, suffix: string): Promise<void>;
/**
 * Domain lockout policy (samba-tool domain passwordsettings set). The domain starts with threshold
 * 5 and 30 minutes; this is domain-wide, so it changes the policy for every test using the DC.
 */
export function setLockoutPolicy(
  dc: SambaDc,
  options?: { threshold?: number; durationMinutes?: number; resetAfterMinutes?: number },
): Promise<void>;
/** A fine-grained password policy (PSO) for groups or users; ages in days (0 = none). */
export function createPso(
  dc: SambaDc,
  options: {
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
  },
): Promise<AdObject>;
/**
 * `count` enabled users <prefix>00001... (mail, mobile, names) in a new OU=<prefix> by one ldapadd;
 * with `group`, a group <prefix>-all of them all. Without a password by default (~5 ms a user);
 * a password for all costs ~25 ms a user.
 */
export function bulkUsers(
  dc: SambaDc,
  count: number,
  prefix: string,
  options?: { password?: string | null; group?: boolean },
): Promise<{ ou: string; users: AdUser[]; group: AdObject | undefined; ms: number }>;
