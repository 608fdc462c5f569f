import { z } from 'zod';

/** Mapping of Passgate's user fields to Active Directory attributes, with AD's usual names. */
const attributeMap = z
  .strictObject({
    username: z.string().default('sAMAccountName').describe('Passgate user name.'),
    displayName: z.string().default('displayName').describe('Full name.'),
    email: z.string().default('mail').describe('E-mail address.'),
    mobile: z.string().default('mobile').describe('Mobile number (SMS and voice passcodes).'),
    telephone: z.string().default('telephoneNumber').describe('Office number.'),
    language: z.string().default('preferredLanguage').describe('Language of pages and passcode messages.'),
    immutableId: z
      .enum(['objectGUID', 'ms-DS-ConsistencyGuid'])
      .default('objectGUID')
      .describe('Source of the Microsoft 365 ImmutableID (base64 of the 16 bytes).'),
  })
  .prefault({})
  .describe('Which AD attribute fills which user field.');

const sync = z
  .strictObject({
    enabled: z.boolean().default(false).describe('Run AD synchronisation inside the server.'),
    intervalMinutes: z
      .number()
      .int()
      .min(1)
      .max(1440)
      .default(15)
      .describe('Incremental runs (uSNChanged) this often.'),
    fullEveryHours: z
      .number()
      .int()
      .min(1)
      .max(720)
      .default(24)
      .describe('A full run (marks removed users) this often.'),
    baseDns: z
      .array(z.string().min(1))
      .default([])
      .describe('Subtrees to import; default: directory.baseDn.'),
    groups: z
      .array(z.string().min(1))
      .default([])
      .describe(
        'Only members of these groups (DNs; nested membership counts); default: everyone under baseDns.',
      ),
    pageSize: z.number().int().min(10).max(1000).default(500).describe('LDAP paged-search page size.'),
    defaultCountry: z
      .string()
      .regex(/^[A-Z]{2}$/, 'expected an ISO 3166 country code such as FR')
      .default('US')
      .describe('Country assumed for phone numbers written without +, for E.164 normalisation.'),
  })
  .prefault({})
  .describe('Import of users from AD into Passgate (`passgate sync`, or scheduled).');

/** Settings of the Active Directory plug-in (`directory.type: ad`). */
export const activeDirectorySchema = z.strictObject({
  type: z.literal('ad').describe('Active Directory over LDAPS or StartTLS (ldapts).'),
  urls: z
    .array(z.string().regex(/^ldaps?:\/\/[^/]+$/, 'expected ldaps://host[:port] or ldap://host[:port]'))
    .min(1)
    .describe(
      'Domain controllers, tried in order; the next one only on a transport error, never on a refused password.',
    ),
  startTls: z.boolean().default(false).describe('Upgrade ldap:// connections with StartTLS.'),
  allowPlainLdap: z
    .boolean()
    .default(false)
    .describe('Allow ldap:// without StartTLS (passwords in clear on the network): tests only.'),
  caFile: z
    .string()
    .optional()
    .describe('PEM file of the CA that signed the domain controllers’ certificates.'),
  baseDn: z.string().min(1).describe('Root of user searches, e.g. DC=example,DC=com.'),
  bindDn: z.string().min(1).describe('Service account for searches (DN or user@domain).'),
  bindPasswordEnv: z
    .string()
    .regex(/^[A-Z_][A-Z0-9_]*$/, 'expected the name of an environment variable')
    .describe('Environment variable holding the service account password.'),
  netbiosDomain: z
    .string()
    .min(1)
    .max(15)
    .optional()
    .describe('NetBIOS domain name accepted in DOMAIN\\user sign-ins (e.g. EXAMPLE).'),
  upnSuffixes: z
    .array(z.string().regex(/^[A-Za-z0-9.-]+$/, 'expected a UPN suffix such as partner.example (without @)'))
    .default([])
    .describe(
      'With several directories: sign-ins as name@suffix with one of these suffixes go to this directory.',
    ),
  userFilter: z
    .string()
    .default('(&(objectCategory=person)(objectClass=user))')
    .describe('LDAP filter every user entry must match.'),
  timeoutSeconds: z.number().positive().max(60).default(5).describe('Time limit of one LDAP operation.'),
  lockoutMargin: z
    .number()
    .int()
    .min(1)
    .max(10)
    .default(2)
    .describe(
      'Passgate stops a user (per address) this many attempts before the domain’s lockout threshold.',
    ),
  attributes: attributeMap,
  sync,
});

/** One directory's settings (a new schema per use: the generated docs describe each place in full). */
const oneDirectory = () =>
  z.discriminatedUnion('type', [
    z.strictObject({
      type: z.literal('local').describe('Users in Passgate’s own store (the embedded default).'),
    }),
    activeDirectorySchema.clone(),
  ]);

/** Where users and passwords live: the embedded local directory, or Active Directory. */
export const directorySchema = oneDirectory()
  .default({ type: 'local' })
  .describe('The user directory (the one named `default` when there are several).');

/**
 * More directories beside `directory`, by name: each with its own connection, service account,
 * sync and lockout shield. Their users are stored as `<name>\<user>`.
 */
export const directoriesSchema = z
  .record(
    z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'expected a short name of lower-case letters, digits and -'),
    oneDirectory(),
  )
  .default({})
  .describe(
    'More directories (e.g. a second AD forest, or the local directory beside AD), by name. A sign-in as NAME\\user (or NetBIOS\\user, or user@one of upnSuffixes) goes to that directory; a bare name to the first, `directory` then these in order, that has the user. At most one local directory in all.',
  );

/** Settings of one directory, whichever plug-in. */
export type DirectoryConfig = z.output<ReturnType<typeof oneDirectory>>;

/** Validated Active Directory settings. */
export type ActiveDirectoryConfig = z.output<typeof activeDirectorySchema>;
