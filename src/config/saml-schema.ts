import { z } from 'zod';

/** A user field or directory attribute; a list means "the first one the user has". */
export const attributeSourceSchema = z
  .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
  .transform((value) => (Array.isArray(value) ? value : [value]));

/** An absolute URI (a URL or a URN). */
export const uriSchema = z
  .string()
  .min(1)
  .refine((value) => /^[a-z][a-z0-9+.-]*:\S+$/i.test(value) && URL.canParse(value), {
    message: 'must be an absolute URI (https://... or urn:...)',
  });

/**
 * What fills one released SAML attribute: a user field or directory attribute (`mail: email`),
 * or an object with `from` (or a fixed `value`) and the attribute's `friendlyName`.
 */
export const samlAttributeSchema = z.union([
  attributeSourceSchema.transform((from) => ({ from })),
  z
    .strictObject({
      from: attributeSourceSchema.optional(),
      value: z.string().optional(),
      friendlyName: z.string().min(1).optional(),
    })
    .refine((a) => (a.from === undefined) !== (a.value === undefined), {
      message: 'give either from or value',
    })
    .transform((a): ReleasedAttribute => {
      const friendly = a.friendlyName === undefined ? {} : { friendlyName: a.friendlyName };
      return a.value !== undefined ? { value: a.value, ...friendly } : { from: a.from ?? [], ...friendly };
    }),
]);

/** Where a released attribute's values come from, and its friendly name (FriendlyName). */
export type ReleasedAttribute = ({ from: string[] } | { value: string }) & { friendlyName?: string };

/** The classes stated after a sign-in with the password alone and with a second factor. */
export const authnContextSchema = z.strictObject({
  password: uriSchema.optional().describe('AuthnContextClassRef after the password alone.'),
  mfa: uriSchema.optional().describe('AuthnContextClassRef after the password and a second factor.'),
});

const oid = (from: string, friendlyName: string) => ({ from: [from], friendlyName });

const seconds = (fallback: number, description: string) =>
  z.number().int().positive().default(fallback).describe(description);

/** The SAML 2.0 identity provider; service providers come from `<metadataDir>/saml/NAME.xml` + `NAME.yaml`. */
export const samlSchema = z
  .strictObject({
    entityId: z
      .string()
      .min(1)
      .optional()
      .describe('Entity ID of Passgate as SAML IdP (the Issuer). Default: `<publicUrl>/saml/metadata`.'),
    wantAuthnRequestsSigned: z
      .boolean()
      .default(false)
      .describe(
        'Published in the metadata and enforced: every AuthnRequest must be signed (per SP: `requireSignedRequests`).',
      ),
    assertionLifetimeSeconds: seconds(
      300,
      'Validity of an assertion (Conditions and SubjectConfirmationData).',
    ),
    requestLifetimeSeconds: seconds(
      600,
      'How long after its IssueInstant an AuthnRequest is accepted; its ID cannot be used again meanwhile.',
    ),
    clockSkewSeconds: z
      .number()
      .int()
      .min(0)
      .max(600)
      .default(60)
      .describe('Clock difference tolerated with service providers.'),
    certificateValidityYears: z
      .number()
      .int()
      .min(1)
      .max(30)
      .default(10)
      .describe('Validity of the self-signed signing certificate made with each new SAML key.'),
    keyRollover: z
      .strictObject({
        overlapDays: z
          .number()
          .int()
          .min(0)
          .max(365)
          .default(7)
          .describe(
            'Days the next certificate (`passgate keys rotate --purpose saml`) is published before `passgate keys activate --purpose saml` may switch signing to it (`--force` skips the wait).',
          ),
        retiredPublishHours: z
          .number()
          .int()
          .min(1)
          .max(24 * 365)
          .default(24)
          .describe(
            'Hours the replaced certificate stays in the metadata after `keys activate`, for responses signed just before and SPs that re-read metadata late; then it is pruned.',
          ),
      })
      .prefault({})
      .describe('Rollover of the SAML signing key in two steps (see docs/saml.md).'),
    generic: z
      .strictObject({
        attributes: z
          .record(z.string().min(1), samlAttributeSchema)
          .default({
            'urn:oid:0.9.2342.19200300.100.1.3': oid('email', 'mail'),
            'urn:oid:2.16.840.1.113730.3.1.241': oid('displayName', 'displayName'),
            'urn:oid:2.5.4.42': oid('givenName', 'givenName'),
            'urn:oid:2.5.4.4': oid('sn', 'sn'),
            'urn:oid:1.3.6.1.4.1.5923.1.5.1.1': oid('groups', 'isMemberOf'),
          })
          .describe(
            'Attributes released to `generic` SPs whose file has no `attributes` (see docs/saml.md): by URI name, with the user field or directory attribute and the friendly name. Default: mail, displayName, givenName, sn and isMemberOf (the groups) under their urn:oid names.',
          ),
        authnContext: z
          .strictObject({
            password: uriSchema.default('urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport'),
            mfa: uriSchema.default('https://refeds.org/profile/mfa'),
          })
          .prefault({})
          .describe(
            'AuthnContextClassRef stated to `generic` SPs after the password alone and after a second factor.',
          ),
      })
      .prefault({})
      .describe('Defaults of the `generic` SP profile (an SP file overrides them).'),
    watchMetadata: z
      .boolean()
      .default(true)
      .describe('Reload `metadata/saml/` when its files change (SIGHUP always reloads).'),
  })
  .prefault({})
  .describe('SAML 2.0 identity provider (Microsoft 365, Google Workspace, Salesforce, any SAML SP).');
