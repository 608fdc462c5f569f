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
  requireSignedRequests: boolean;
}

type Defaults = Pick<SpSettings, 'nameId' | 'attributes' | 'sign'>;

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
  },
  google: { nameId: { source: ['email'], format: 'emailAddress' }, attributes: {}, sign: 'response' },
  salesforce: {
    nameId: { source: ['userPrincipalName', 'email'], format: 'unspecified' },
    attributes: {},
    sign: 'both',
  },
  generic: {
    nameId: { source: ['username'], format: 'unspecified' },
    attributes: {},
    sign: 'response',
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

/** The SP file's settings over its profile's defaults. */
export function applyProfile(file: SpFile): SpSettings {
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
    requireSignedRequests: file.requireSignedRequests ?? false,
  };
}
