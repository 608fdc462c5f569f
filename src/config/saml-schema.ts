import { z } from 'zod';

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
    watchMetadata: z
      .boolean()
      .default(true)
      .describe('Reload `metadata/saml/` when its files change (SIGHUP always reloads).'),
  })
  .prefault({})
  .describe('SAML 2.0 identity provider (Microsoft 365, Google Workspace, Salesforce, any SAML SP).');
