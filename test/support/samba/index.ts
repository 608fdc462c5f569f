// A real Active Directory domain controller for the tests: Samba 4 in a private folder, serving
// LDAP/LDAPS on a loopback address with a certificate of our own, plus fixtures (users, groups,
// policies) written through ldapadd/ldapmodify over LDAPS and the local samba-tool.
//
// A test run starts ONE DC (test/support/global-setup.ts) and its test files share it. The LDAP
// ports are fixed (389, 636, 3268, 3269), so each DC claims its own address, 127.0.0.1 when free,
// else 127.0.0.2...: concurrent runs on one machine do not collide. Provisioning (~6-10 s) is
// cached per machine under os.tmpdir(); every run starts from a fresh copy of the cache (~0.2 s)
// and the DC answers LDAPS binds about 0.5-1 s after it is started. From the shell: cli.ts.
//
// This file is the harness's public face; each concern lives in its own module beside it.
export { dcStatus, holdDc, requireDc, restartDc, startDc, stopDc } from './control.js';
export {
  ADMIN_DN,
  ADMIN_PASSWORD,
  ADMIN_UPN,
  ALT_UPN_SUFFIX,
  BASE_DN,
  DEFAULT_PASSWORD,
  DOMAIN,
  details,
  REALM,
  type SambaDc,
  type SambaProvided,
  UPN_SUFFIX,
} from './domain.js';
export { type AdObject, addMembers, createGroup, createOu } from './groups.js';
export { claimHost, releaseHost } from './host-claims.js';
export { type BindOptions, ldapmodify, ldapsearch, type SearchOptions, sambaTool } from './ldap.js';
export { attr, fileTime, guidToString, type LdapEntry, parseLdif, text } from './ldif.js';
export { addUpnSuffix, createPso, setLockoutPolicy } from './policies.js';
export { type SambaHandle, start } from './process.js';
export { cacheDir, prepare, provision } from './provision.js';
export { type ServedDc, serve } from './serve.js';
export {
  type AdUser,
  bulkUsers,
  createUser,
  disableUser,
  enableUser,
  expireAccount,
  setMustChangePassword,
  setPassword,
  type UserOptions,
  unlockUser,
} from './users.js';
