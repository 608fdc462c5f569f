import {
  type Application,
  type ApplicationCatalogue,
  type ApplicationValue,
  catalogueListing,
} from '../../applications.js';
import type { ServiceProvider } from './service-provider.js';
import { readServiceProvider } from './sp-files.js';
import type { SpRegistry } from './sp-registry.js';

/** The IdP's side of every SP: its endpoints and its signing certificate (base64 DER). */
export interface IdpFacts {
  entityId: string;
  ssoUrl: string;
  sloUrl: string;
  metadataUrl: string;
  certificate(): string | undefined;
}

const VALUE = (key: string) => `admin:applications.values.${key}`;
/** The YAML of an SP uploaded without one: the generic profile's defaults. */
const DEFAULT_SETTINGS = 'profile: generic\n';

/**
 * The SAML service providers of `metadata/saml/` for the administration site: each with the
 * values its vendor asks for, the files kept out with their reasons, and the check of an upload
 * through the loader's own {@link readServiceProvider}.
 */
export function spCatalogue(registry: SpRegistry, idp: IdpFacts): ApplicationCatalogue {
  return {
    kind: 'saml',
    folder: registry.path,
    list() {
      const loaded = registry.all().map((sp) => describe(sp, idp));
      return catalogueListing(loaded, registry.problems());
    },
    async check(upload) {
      const settings = upload.settings ?? DEFAULT_SETTINGS;
      const sp = readServiceProvider(upload.name, upload.main, settings, registry.genericDefaults);
      const other = registry.byEntityId(sp.entityId);
      if (other && other.name !== upload.name)
        throw new Error(`entity "${sp.entityId}" is already registered by ${other.name}.xml`);
      return { [`${upload.name}.yaml`]: settings, [`${upload.name}.xml`]: upload.main };
    },
    download(name) {
      const certificate = name === 'idp-certificate' ? idp.certificate() : undefined;
      if (!certificate) return undefined;
      const lines = certificate.match(/.{1,64}/g) ?? [];
      const body = ['-----BEGIN CERTIFICATE-----', ...lines, '-----END CERTIFICATE-----', ''].join('\n');
      return { type: 'application/x-pem-file', filename: 'passgate-saml-signing.pem', body };
    },
  };
}

function describe(sp: ServiceProvider, idp: IdpFacts): Application {
  const issuer = sp.settings.issuer ?? idp.entityId;
  const values: ApplicationValue[] = [
    { label: VALUE('spEntityId'), value: sp.entityId },
    { label: VALUE('profile'), value: sp.settings.profile },
    ...sp.acs.map((acs) => ({ label: VALUE('acsUrl'), value: acs.url })),
    { label: VALUE('idpEntityId'), value: issuer },
    { label: VALUE('ssoUrl'), value: idp.ssoUrl },
    { label: VALUE('sloUrl'), value: idp.sloUrl },
    { label: VALUE('metadataUrl'), value: idp.metadataUrl },
  ];
  return {
    name: sp.name,
    files: [`${sp.name}.xml`, `${sp.name}.yaml`],
    id: sp.entityId,
    values,
    commands: sp.settings.profile === 'office365' ? microsoftGraph(sp, idp, issuer) : [],
  };
}

/** `New-MgDomainFederationConfiguration` per federated domain, as docs/saml.md describes it. */
function microsoftGraph(sp: ServiceProvider, idp: IdpFacts, issuer: string): ApplicationValue[] {
  const domains = Object.entries(sp.settings.issuerByDomain);
  const federations = domains.length > 0 ? domains : [['example.com', issuer] as [string, string]];
  const certificate = idp.certificate() ?? 'MIIC...';
  const lines = [
    'Connect-MgGraph -Scopes "Domain.ReadWrite.All"',
    `$cert = "${certificate}"`,
    ...federations.map(([domain, uri]) =>
      [
        `New-MgDomainFederationConfiguration -DomainId "${domain}" \``,
        `  -DisplayName "Passgate" -IssuerUri "${uri}" \``,
        `  -PassiveSignInUri "${idp.ssoUrl}" \``,
        `  -SignOutUri "${idp.sloUrl}" \``,
        '  -SigningCertificate $cert -PreferredAuthenticationProtocol "saml" `',
        '  -FederatedIdpMfaBehavior "acceptIfMfaDoneByFederatedIdp"',
      ].join('\n'),
    ),
  ];
  return [{ label: VALUE('microsoftGraph'), value: lines.join('\n') }];
}
