import type { ServiceProviderInstance } from '../signing/samlify.js';
import { samlify } from '../signing/samlify.js';
import { applyProfile, type GenericDefaults, type SpSettings } from './profiles.js';
import type { SpFile } from './sp-file.js';
import { type AcsEndpoint, readSpMetadata, type SloEndpoint } from './sp-metadata.js';

/** A registered SAML service provider: its metadata, its settings, and samlify's view of it. */
export interface ServiceProvider {
  /** File name without extension (`metadata/saml/NAME.*`); the `sp=` of IdP-initiated SSO. */
  name: string;
  entityId: string;
  settings: SpSettings;
  /** Assertion consumer services from the metadata: the only places a response may go. */
  acs: AcsEndpoint[];
  /** Single logout services from the metadata: the only places a LogoutResponse may go. */
  slo: SloEndpoint[];
  /** Whether the SP's metadata says it signs its AuthnRequests (AuthnRequestsSigned). */
  signsRequests: boolean;
  /** Whether the metadata has a signing certificate to verify its requests with. */
  hasSigningCertificate: boolean;
  /** samlify's SP, built so that it signs what `settings.sign` says. */
  samlify: ServiceProviderInstance;
}

/**
 * Builds an SP from its metadata XML and its YAML settings. Throws (with a reason for the
 * administrator) when they do not fit together, e.g. encryption asked for without an
 * encryption key in the metadata.
 */
export function buildServiceProvider(
  name: string,
  metadataXml: string,
  file: SpFile,
  generic: GenericDefaults,
): ServiceProvider {
  const metadata = readSpMetadata(metadataXml);
  const settings = applyProfile(file, metadata, generic, name);
  if (metadata.wantAssertionsSigned && settings.sign === 'response') {
    throw new Error(
      'sign: "response" leaves the assertion unsigned, but the SP metadata says WantAssertionsSigned="true"',
    );
  }
  if (settings.encryptAssertion && !metadata.encryptionCertificate) {
    throw new Error(
      'encryptAssertion: the SP metadata has no encryption key (KeyDescriptor use="encryption")',
    );
  }
  // samlify signs the response before it encrypts the assertion, which breaks that signature:
  // until Passgate signs the response itself after encryption, an encrypted assertion is signed alone.
  if (settings.encryptAssertion && settings.sign !== 'assertion') {
    throw new Error(
      `encryptAssertion: sign must be "assertion" with an encrypted assertion (not "${settings.sign}")`,
    );
  }
  const sp = samlify.ServiceProvider({
    entityID: metadata.entityId,
    assertionConsumerService: metadata.acs.map((a) => ({ Binding: a.binding, Location: a.url })),
    ...(metadata.signingCertificates.length > 0 ? { signingCert: metadata.signingCertificates } : {}),
    ...(metadata.encryptionCertificate ? { encryptCert: metadata.encryptionCertificate } : {}),
    authnRequestsSigned: metadata.signsRequests,
    wantAssertionsSigned: settings.sign !== 'response',
    wantMessageSigned: settings.sign !== 'assertion',
    isAssertionEncrypted: settings.encryptAssertion,
  });
  return {
    name,
    entityId: metadata.entityId,
    settings,
    acs: metadata.acs,
    slo: metadata.slo,
    signsRequests: metadata.signsRequests,
    hasSigningCertificate: metadata.signingCertificates.length > 0,
    samlify: sp,
  };
}
