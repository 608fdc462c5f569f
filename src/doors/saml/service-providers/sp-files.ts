import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { describeError } from '../../../errors.js';
import type { GenericDefaults } from './profiles.js';
import { buildServiceProvider, type ServiceProvider } from './service-provider.js';
import { spFileSchema } from './sp-file.js';

/** An SP whose files could not be used, and why. */
export interface SpFileProblem {
  file: string;
  reason: string;
}

/** Result of reading `metadata/saml/`: the usable SPs and the files that were not. */
export interface LoadedServiceProviders {
  providers: ServiceProvider[];
  problems: SpFileProblem[];
}

/**
 * Reads every `NAME.xml` (SP metadata) with its `NAME.yaml` (or `.yml`) settings. A broken pair
 * is reported with its file name and reason and skipped; the other SPs keep working. `generic`:
 * the defaults of generic SPs (`saml.generic`).
 */
export function loadServiceProviders(folder: string, generic: GenericDefaults): LoadedServiceProviders {
  let names: string[];
  try {
    names = readdirSync(folder).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { providers: [], problems: [] };
    throw error;
  }
  const providers: ServiceProvider[] = [];
  const problems: SpFileProblem[] = [];
  const byEntity = new Map<string, string>();
  for (const xmlName of names.filter((n) => n.endsWith('.xml'))) {
    const base = xmlName.slice(0, -'.xml'.length);
    const yamlName = [`${base}.yaml`, `${base}.yml`].find((n) => names.includes(n));
    const file = path.join(folder, yamlName ?? xmlName);
    try {
      if (!yamlName) throw new Error(`${base}.yaml is missing (it names the profile)`);
      const sp = readServiceProvider(base, read(folder, xmlName), read(folder, yamlName), generic);
      const other = byEntity.get(sp.entityId);
      if (other) throw new Error(`entity "${sp.entityId}" is already registered by ${other}`);
      byEntity.set(sp.entityId, xmlName);
      providers.push(sp);
    } catch (error) {
      problems.push({ file, reason: describeError(error) });
    }
  }
  for (const yamlName of names.filter((n) => /\.ya?ml$/.test(n))) {
    if (!names.includes(yamlName.replace(/\.ya?ml$/, '.xml')))
      problems.push({ file: path.join(folder, yamlName), reason: 'the SP metadata (.xml) is missing' });
  }
  return { providers, problems };
}

/**
 * One SP from the texts of its two files, as the folder's loader reads them (the administration
 * site checks an upload with this same function before writing it).
 */
export function readServiceProvider(
  name: string,
  metadataXml: string,
  settingsYaml: string,
  generic: GenericDefaults,
): ServiceProvider {
  const strip = (text: string) => text.replace(/^\uFEFF/, '');
  return buildServiceProvider(name, strip(metadataXml), parseSettings(strip(settingsYaml)), generic);
}

function read(folder: string, name: string): string {
  return readFileSync(path.join(folder, name), 'utf8').replace(/^\uFEFF/, '');
}

function parseSettings(text: string) {
  const parsed = spFileSchema.safeParse(parseYaml(text, { uniqueKeys: true }) ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${issue.path.join('.') || '(file)'}: ${issue.message.replace(/^Invalid input: /, '')}`);
  }
  return parsed.data;
}
