import { z } from 'zod';
import { NAME_ID_FORMATS } from './name-id.js';

/** A user field or directory attribute; a list means "the first one the user has". */
const source = z
  .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
  .transform((value) => (Array.isArray(value) ? value : [value]));

/** What fills one SAML attribute: a user field / directory attribute, or a fixed value. */
const attributeValue = z.union([
  source.transform((from) => ({ from })),
  z.strictObject({ value: z.string() }),
]);

/** A DNS domain in lower case (a UPN or e-mail domain suffix). */
const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** An absolute URI (a URL or a URN): what Entra ID accepts as an IssuerUri. */
const issuerUri = z
  .string()
  .min(1)
  .refine((value) => /^[a-z][a-z0-9+.-]*:\S+$/i.test(value) && URL.canParse(value), {
    message: 'must be an absolute URI (https://... or urn:...)',
  });

/**
 * The YAML half of a service provider (`metadata/saml/NAME.yaml`); the XML half is the SP's own
 * metadata. Every key but `profile` may be left out: the profile gives the default.
 */
export const spFileSchema = z.strictObject({
  profile: z.enum(['office365', 'google', 'salesforce', 'generic']).default('generic'),
  nameId: z
    .strictObject({
      source: source.optional(),
      format: z.enum(Object.keys(NAME_ID_FORMATS) as [keyof typeof NAME_ID_FORMATS]).optional(),
    })
    .optional(),
  attributes: z.record(z.string().min(1), attributeValue).optional(),
  signatureAlgorithm: z.enum(['sha256', 'sha1']).optional(),
  sign: z.enum(['response', 'assertion', 'both']).optional(),
  encryptAssertion: z.boolean().optional(),
  issuer: z.string().min(1).optional(),
  issuerByDomain: z
    .record(z.string(), issuerUri)
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
/** The source of an attribute value after parsing. */
export type AttributeSource = { from: string[] } | { value: string };
