import { AUTHN_CONTEXT, type StatedClasses } from '../messages/authn-context.js';
import { NAME_ID_FORMATS, type NameIdFormat, PAIRWISE_ID } from '../response/name-id-formats.js';
import type { AttributeSource, SpFile } from './sp-file.js';
import type { SpMetadata } from './sp-metadata.js';

/** The settings of an SP with its profile's defaults applied. */
export interface SpSettings {
  profile: SpFile['profile'];
  nameId: { source: string[]; format: NameIdFormat };
  attributes: Record<string, AttributeSource>;
  /** The AuthnContextClassRef stated after the password alone and after a second factor. */
  authnContext: StatedClasses;
  signatureAlgorithm: 'sha256' | 'sha1';
  sign: 'response' | 'assertion' | 'both';
  encryptAssertion: boolean;
  /** The IdP entity ID this SP knows Passgate by; undefined: `saml.entityId`. */
  issuer: string | undefined;
  /**
   * Issuer by UPN / e-mail domain suffix (lower case): Microsoft 365 knows each federated domain
   * by its own IssuerUri but sends one SP entity for all of them. Empty: `issuer` for everyone.
   */
  issuerByDomain: Record<string, string>;
  requireSignedRequests: boolean;
  /**
   * Whether `/saml/idp-init?sp=NAME` may send this SP an unsolicited response. Off by default
   * for Microsoft 365 and Google, whose sign-ins start at the SP: an unsolicited response is only
   * an opening for login CSRF there.
   */
  idpInitiated: boolean;
  /** What users see on the sign-in pages. */
  displayName: string;
  /**
   * Where `/saml/slo` sends the browser when no LogoutResponse goes back (no SingleLogoutService
   * in the metadata, or Google, whose sign-out is a plain redirect); undefined: a "signed out" page.
   */
  logoutRedirect: string | undefined;
}

type Defaults = Pick<SpSettings, 'nameId' | 'attributes' | 'sign' | 'idpInitiated' | 'authnContext'> & {
  displayName?: string;
};

/** What `saml.generic` sets for generic SPs (config). */
export type GenericDefaults = Pick<SpSettings, 'attributes' | 'authnContext'>;

/** What an SP's metadata asks for that the generic profile follows. */
export type MetadataWishes = Pick<SpMetadata, 'wantAssertionsSigned' | 'nameIdFormats'>;

/** Microsoft's classes: Entra ID honours multipleauthn (federatedIdpMfaBehavior). */
const MICROSOFT_CLASSES: StatedClasses = {
  password: AUTHN_CONTEXT.password,
  mfa: AUTHN_CONTEXT.microsoftMfa,
};

/** The NameID value of each format for generic SPs: a pairwise id for persistent, the e-mail for emailAddress. */
const GENERIC_NAME_ID_SOURCES: Record<NameIdFormat, string[]> = {
  persistent: [PAIRWISE_ID],
  emailAddress: ['email'],
  unspecified: ['username'],
  transient: [],
};

/**
 * What each provider expects. Microsoft 365: the ImmutableID (base64 objectGUID, or
 * ms-DS-ConsistencyGuid per `directory.attributes.immutableId`) as a persistent NameID, the UPN
 * as IDPEmail, a signed assertion. Google: the primary e-mail, a signed response. Salesforce:
 * the Federation ID (here the UPN, else the e-mail), response and assertion signed.
 */
const PROFILES: Record<Exclude<SpFile['profile'], 'generic'>, Defaults> = {
  office365: {
    nameId: { source: ['immutableId'], format: 'persistent' },
    attributes: { IDPEmail: { from: ['userPrincipalName'] } },
    sign: 'assertion',
    idpInitiated: false,
    authnContext: MICROSOFT_CLASSES,
    displayName: 'Microsoft 365',
  },
  google: {
    nameId: { source: ['email'], format: 'emailAddress' },
    attributes: {},
    sign: 'response',
    idpInitiated: false,
    authnContext: MICROSOFT_CLASSES,
    displayName: 'Google Workspace',
  },
  salesforce: {
    nameId: { source: ['userPrincipalName', 'email'], format: 'unspecified' },
    attributes: {},
    sign: 'both',
    idpInitiated: true,
    authnContext: MICROSOFT_CLASSES,
    displayName: 'Salesforce',
  },
};

/**
 * The generic profile follows the SP's metadata: the first NameIDFormat Passgate issues (with
 * the value of that format), the assertion signed too when it says WantAssertionsSigned, and
 * `saml.generic`'s attributes and classes.
 */
function genericDefaults(file: SpFile, metadata: MetadataWishes, generic: GenericDefaults): Defaults {
  const formats = Object.entries(NAME_ID_FORMATS) as Array<[NameIdFormat, string]>;
  const listed = metadata.nameIdFormats
    .map((uri) => formats.find(([, known]) => known === uri)?.[0])
    .find((format) => format !== undefined);
  const format = file.nameId?.format ?? listed ?? 'unspecified';
  return {
    nameId: { source: GENERIC_NAME_ID_SOURCES[format], format },
    attributes: generic.attributes,
    sign: metadata.wantAssertionsSigned ? 'both' : 'response',
    idpInitiated: true,
    authnContext: generic.authnContext,
  };
}

/** Salesforce just-in-time provisioning attributes, from the usual directory fields. */
function salesforceJit(profileId: string | undefined): Record<string, AttributeSource> {
  return {
    'User.Email': { from: ['email'] },
    'User.FirstName': { from: ['givenName'] },
    'User.LastName': { from: ['sn', 'displayName'] },
    'User.Username': { from: ['userPrincipalName', 'email'] },
    ...(profileId ? { 'User.ProfileId': { value: profileId } } : {}),
  };
}

/** The SP file's settings over its profile's defaults; `name` is the generic display name. */
export function applyProfile(
  file: SpFile,
  metadata: MetadataWishes,
  generic: GenericDefaults,
  name = 'the application',
): SpSettings {
  const defaults =
    file.profile === 'generic' ? genericDefaults(file, metadata, generic) : PROFILES[file.profile];
  const jit =
    file.profile === 'salesforce' && file.salesforceJit ? salesforceJit(file.salesforceJit.profileId) : {};
  return {
    profile: file.profile,
    nameId: {
      source: file.nameId?.source ?? defaults.nameId.source,
      format: file.nameId?.format ?? defaults.nameId.format,
    },
    attributes: { ...(file.attributes ?? defaults.attributes), ...jit },
    authnContext: { ...defaults.authnContext, ...file.authnContext },
    signatureAlgorithm: file.signatureAlgorithm ?? 'sha256',
    sign: file.sign ?? defaults.sign,
    encryptAssertion: file.encryptAssertion ?? false,
    issuer: file.issuer,
    issuerByDomain: file.issuerByDomain ?? {},
    requireSignedRequests: file.requireSignedRequests ?? false,
    idpInitiated: file.idpInitiated ?? defaults.idpInitiated,
    displayName: file.displayName ?? defaults.displayName ?? name,
    logoutRedirect: file.logoutRedirect,
  };
}
