import type { ClientMetadata } from 'oidc-provider';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { type MetadataFileProblem, readMetadataFiles } from '../metadata-files.js';

/** One client registration and the file it came from. */
export interface ClientFile {
  file: string;
  metadata: ClientMetadata;
}

/** Result of reading `metadata/oidc/`: the usable clients and the files that were not. */
export interface LoadedClients {
  clients: ClientFile[];
  problems: MetadataFileProblem[];
}

/**
 * Passgate's own keys in a client file; every other key is standard OIDC client metadata
 * (snake_case, RFC 7591) handed to oidc-provider, which validates it.
 */
const clientFile = z.looseObject({
  client_id: z.string().min(1),
  client_secret: z.string().min(16, 'must be at least 16 characters').optional(),
  client_secret_env: z
    .string()
    .regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name')
    .optional()
    .describe('Read the secret from this environment variable instead of the file.'),
});

/**
 * Reads every `*.yaml`/`*.yml` in the folder as one client registration. A broken file is
 * reported with its name and reason and skipped; the other clients keep working.
 */
export function loadClientFiles(folder: string, env: NodeJS.ProcessEnv = process.env): LoadedClients {
  const { entries, problems } = readMetadataFiles(folder, (text) => readClientFile(text, env), {
    keyName: 'client_id',
    keyOf: (client) => client.client_id,
  });
  return { clients: entries.map(({ file, value }) => ({ file, metadata: value })), problems };
}

/**
 * One client registration from the text of its file, as the folder's loader reads it (the
 * administration site checks an upload with this same function before writing it).
 */
export function readClientFile(text: string, env: NodeJS.ProcessEnv = process.env): ClientMetadata {
  const parsed = clientFile.safeParse(parseYaml(text, { uniqueKeys: true }));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${issue.path.join('.') || '(file)'}: ${issue.message.replace(/^Invalid input: /, '')}`);
  }
  const { client_secret_env: secretVariable, ...metadata } = parsed.data;
  if (secretVariable) {
    const secret = env[secretVariable];
    if (!secret) throw new Error(`client_secret_env: environment variable ${secretVariable} is not set`);
    metadata.client_secret = secret;
  }
  return metadata as ClientMetadata;
}
