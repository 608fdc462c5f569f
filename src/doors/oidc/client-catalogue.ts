import path from 'node:path';
import {
  type Application,
  type ApplicationCatalogue,
  applicationName,
  catalogueListing,
} from '../applications.js';
import { readClientFile } from './clients.js';
import type { SwappableProvider } from './swappable-provider.js';

const VALUE = (key: string) => `admin:applications.values.${key}`;

/**
 * The OIDC clients of `metadata/oidc/` for the administration site: each with what its vendor
 * needs (never its secret), the files kept out with their reasons, and the check of an upload
 * through the loader's own {@link readClientFile} and oidc-provider's validation.
 */
export function clientCatalogue(oidc: SwappableProvider, issuer: string): ApplicationCatalogue {
  return {
    kind: 'oidc',
    folder: oidc.folder,
    list() {
      const { clients, problems } = oidc.loaded();
      const loaded = clients.map(({ file, metadata }): Application => {
        const redirects = (metadata.redirect_uris ?? []) as string[];
        return {
          name: applicationName(file),
          files: [path.basename(file)],
          id: metadata.client_id,
          values: [
            { label: VALUE('clientId'), value: metadata.client_id },
            { label: VALUE('issuer'), value: issuer },
            { label: VALUE('discoveryUrl'), value: `${issuer}/.well-known/openid-configuration` },
            ...redirects.map((uri) => ({ label: VALUE('redirectUri'), value: uri })),
            {
              label: VALUE('authMethod'),
              value: String(metadata.token_endpoint_auth_method ?? 'client_secret_basic'),
            },
          ],
          commands: [],
        };
      });
      return catalogueListing(loaded, problems);
    },
    async check(upload) {
      const metadata = readClientFile(upload.main.replace(/^\uFEFF/, ''));
      const other = oidc.loaded().clients.find((c) => c.metadata.client_id === metadata.client_id);
      if (other && applicationName(other.file) !== upload.name)
        throw new Error(
          `client_id "${metadata.client_id}" is already registered by ${path.basename(other.file)}`,
        );
      try {
        await oidc.provider().Client.validate(metadata);
      } catch (error) {
        const detail = (error as { error_description?: string }).error_description;
        throw detail ? new Error(detail) : error;
      }
      return { [`${upload.name}.yaml`]: upload.main };
    },
  };
}
