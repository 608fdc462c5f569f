import path from 'node:path';
import type { Config } from '../config/load.js';
import { loadClientFiles } from '../doors/oidc/clients.js';
import { loadServiceProviders } from '../doors/saml/service-providers/sp-files.js';

/** The applications the server would load from `metadataDir`: OIDC client ids, SAML SP names and entity IDs. */
export interface RegisteredApplications {
  oidc: string[];
  saml: string[];
}

/** Reads `metadata/oidc` and `metadata/saml` as the server does (broken files are not registered). */
export function registeredApplications(config: Config): RegisteredApplications {
  const clients = loadClientFiles(path.join(config.metadataDir, 'oidc'));
  const providers = loadServiceProviders(path.join(config.metadataDir, 'saml'), config.saml.generic);
  return {
    oidc: clients.clients.map((c) => c.metadata.client_id),
    saml: providers.providers.flatMap((sp) => [sp.name, sp.entityId]),
  };
}

/**
 * Why `application` would not be recognised by `door`, or undefined when it is registered there
 * (or the door has no registrations to check against, as RADIUS). A simulated login for an
 * unknown application still runs, but a rule naming the real one would not match it.
 */
export function unregisteredApplication(
  application: string,
  door: string,
  registered: RegisteredApplications,
  metadataDir: string,
): string | undefined {
  const folders = { oidc: 'OIDC client', saml: 'SAML service provider' } as const;
  if (door !== 'oidc' && door !== 'saml') return undefined;
  if (registered[door].includes(application)) return undefined;
  const other = door === 'oidc' ? 'saml' : 'oidc';
  const elsewhere = registered[other].includes(application)
    ? ` (it is a registered ${folders[other]}: use --door ${other})`
    : '';
  const known =
    registered[door].length > 0 ? `; registered: ${[...new Set(registered[door])].join(', ')}` : '';
  return `no ${folders[door]} "${application}" is registered in ${path.join(metadataDir, door)}${elsewhere}${known}`;
}
