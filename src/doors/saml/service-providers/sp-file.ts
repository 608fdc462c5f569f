import { z } from 'zod';
import {
  attributeSourceSchema,
  authnContextSchema,
  type ReleasedAttribute,
  samlAttributeSchema,
  uriSchema,
} from '../../../config/saml-schema.js';
import { NAME_ID_FORMATS } from '../response/name-id-formats.js';

/** A DNS domain in lower case (a UPN or e-mail domain suffix). */
const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * The YAML half of a service provider (`metadata/saml/NAME.yaml`); the XML half is the SP's own
 * metadata. Every key but `profile` may be left out: the profile gives the default.
 */
export const spFileSchema = z.strictObject({
  profile: z.enum(['office365', 'google', 'salesforce', 'generic']).default('generic'),
  nameId: z
    .strictObject({
      source: attributeSourceSchema.optional(),
      format: z.enum(Object.keys(NAME_ID_FORMATS) as [keyof typeof NAME_ID_FORMATS]).optional(),
    })
    .optional(),
  attributes: z
    .record(z.string().min(1), samlAttributeSchema)
    .optional()
    .describe(
      'Attributes released, by name: a user field / directory attribute, or { from | value, friendlyName }.',
    ),
  authnContext: authnContextSchema
    .optional()
    .describe(
      "AuthnContextClassRef after the password alone / after a second factor (default: the profile's).",
    ),
  signatureAlgorithm: z.enum(['sha256', 'sha1']).optional(),
  sign: z.enum(['response', 'assertion', 'both']).optional(),
  encryptAssertion: z.boolean().optional(),
  issuer: z.string().min(1).optional(),
  issuerByDomain: z
    .record(z.string(), uriSchema)
    .superRefine((map, ctx) => {
      for (const domain of Object.keys(map)) {
        if (!DOMAIN.test(domain))
          ctx.addIssue({
            code: 'custom',
            path: [domain],
            message: 'must be a lower-case domain such as example.com',
          });
      }
    })
    .optional()
    .describe('Issuer by the UPN (else e-mail) domain of the user: one IssuerUri per federated domain.'),
  requireSignedRequests: z.boolean().optional(),
  idpInitiated: z
    .boolean()
    .optional()
    .describe('IdP-initiated SSO (`/saml/idp-init?sp=NAME`); default: true for salesforce and generic.'),
  logoutRedirect: z
    .url({ protocol: /^https?$/, message: 'must be an http(s) URL' })
    .optional()
    .describe('Where /saml/slo sends the browser when there is no LogoutResponse to send.'),
  displayName: z.string().min(1).optional().describe('The name users see on the sign-in pages.'),
  salesforceJit: z
    .strictObject({ profileId: z.string().min(1).optional() })
    .optional()
    .describe('Salesforce: send the just-in-time provisioning attributes User.*.'),
});

/** An SP file as written. */
export type SpFile = z.output<typeof spFileSchema>;
/** A released attribute after parsing: where its values come from, and its friendly name. */
export type AttributeSource = ReleasedAttribute;
