import type { NameIdFormat } from './name-id.js';
import type { AttributeSource, SpFile } from './sp-file.js';

/** The settings of an SP with its profile's defaults applied. */
export interface SpSettings {
  profile: SpFile['profile'];
  nameId: { source: string[]; format: NameIdFormat };
  attributes: Record<string, AttributeSource>;
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

type Defaults = Pick<SpSettings, 'nameId' | 'attributes' | 'sign' | 'idpInitiated'> & {
  displayName?: string;
};

/**
 * What each provider expects. Microsoft 365: the ImmutableID (base64 objectGUID, or
 * ms-DS-ConsistencyGuid per `directory.attributes.immutableId`) as a persistent NameID, the UPN
 * as IDPEmail, a signed assertion. Google: the primary e-mail, a signed response. Salesforce:
 * the Federation ID (here the UPN, else the e-mail), response and assertion signed.
 */
const PROFILES: Record<SpFile['profile'], Defaults> = {
  office365: {
    nameId: { source: ['immutableId'], format: 'persistent' },
    attributes: { IDPEmail: { from: ['userPrincipalName'] } },
    sign: 'assertion',
    idpInitiated: false,
    displayName: 'Microsoft 365',
  },
  google: {
    nameId: { source: ['email'], format: 'emailAddress' },
    attributes: {},
    sign: 'response',
    idpInitiated: false,
    displayName: 'Google Workspace',
  },
  salesforce: {
    nameId: { source: ['userPrincipalName', 'email'], format: 'unspecified' },
    attributes: {},
    sign: 'both',
    idpInitiated: true,
    displayName: 'Salesforce',
  },
  generic: {
    nameId: { source: ['username'], format: 'unspecified' },
    attributes: {},
    sign: 'response',
    idpInitiated: true,
  },
};

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
export function applyProfile(file: SpFile, name = 'the application'): SpSettings {
  const defaults = PROFILES[file.profile];
  const jit =
    file.profile === 'salesforce' && file.salesforceJit ? salesforceJit(file.salesforceJit.profileId) : {};
  return {
    profile: file.profile,
    nameId: {
      source: file.nameId?.source ?? defaults.nameId.source,
      format: file.nameId?.format ?? defaults.nameId.format,
    },
    attributes: { ...(file.attributes ?? defaults.attributes), ...jit },
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
