// The test domain's fixed names and how to reach a DC whose domain lives in a folder.
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** Kerberos realm of the test domain. */
export const REALM = 'EXAMPLE.TEST';
/** NetBIOS name of the test domain, for EXAMPLE\user binds. */
export const DOMAIN = 'EXAMPLE';
/** The UPN suffix users get by default. */
export const UPN_SUFFIX = 'example.test';
/** A second UPN suffix registered in the forest (uPNSuffixes of CN=Partitions). */
export const ALT_UPN_SUFFIX = 'example.com';
/** The domain's naming context. */
export const BASE_DN = 'DC=example,DC=test';
/** The Administrator's password, set at provisioning. */
export const ADMIN_PASSWORD = 'Passgate-Adm1n-Test!';
/** The Administrator's DN, for binds by DN. */
export const ADMIN_DN = `CN=Administrator,CN=Users,${BASE_DN}`;
/** The Administrator's UPN, the default bind of the LDAP tools. */
export const ADMIN_UPN = `Administrator@${UPN_SUFFIX}`;
/** Password of the users the fixtures create when none is given. */
export const DEFAULT_PASSWORD = 'Passgate-User-1!';

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

/** What a test run is given as `inject('samba')`: a DC, or why there is none. */
export type SambaProvided = SambaDc | { unavailable: string };

/** Connection details of the DC whose domain lives in `dir` (its address is in DIR/host). */
export function details(dir: string): SambaDc {
  const host = readFileSync(path.join(dir, 'host'), 'utf8').trim();
  return {
    url: `ldaps://${host}:636`,
    ldapUrl: `ldap://${host}:389`,
    gcUrl: `ldaps://${host}:3269`,
    host,
    port: 636,
    baseDn: BASE_DN,
    realm: REALM,
    domain: DOMAIN,
    upnSuffix: UPN_SUFFIX,
    altUpnSuffix: ALT_UPN_SUFFIX,
    adminDn: ADMIN_DN,
    adminUpn: ADMIN_UPN,
    adminPassword: ADMIN_PASSWORD,
    caFile: path.join(dir, 'tls', 'ca.pem'),
    dir,
    smbConf: path.join(dir, 'etc', 'smb.conf'),
  };
}
