import { readFileSync } from 'node:fs';
import path from 'node:path';
import ipaddr from 'ipaddr.js';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { describeError } from '../../errors.js';
import { type MetadataFileProblem, readMetadataFiles } from '../metadata-files.js';
import type { Dictionary, ReplyAttribute } from './dictionary.js';

/** Source addresses whose client is remembered. */
const MAX_FOUND = 10_000;

/** The shortest shared secret accepted (RFC 6614 §2.3 and common advice: 16 characters at least). */
export const MIN_SECRET_LENGTH = 16;

const network = z.string().refine(
  (value) => {
    try {
      if (value.includes('/')) ipaddr.parseCIDR(value);
      else ipaddr.parse(value);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'expected an IP address or CIDR range, e.g. 10.0.0.0/8' },
);

const replyAttribute = z.strictObject({
  name: z.string().min(1).describe('Dictionary name, e.g. `Class`, `Filter-Id`, `Fortinet-Group-Name`.'),
  vendor: z.string().min(1).optional().describe('Vendor of a vendor-specific attribute, e.g. `Fortinet`.'),
  value: z.union([z.string(), z.number()]),
  groups: z
    .array(z.string().min(1))
    .optional()
    .describe('Sent only to members of one of these groups (case-insensitive).'),
});

/** A client file (`metadata/radius/NAME.yaml`) as written. */
const clientFile = z.strictObject({
  name: z
    .string()
    .regex(/^[\w.-]{1,64}$/, 'a client name is 1 to 64 letters, digits, dots, dashes or underscores'),
  addresses: z.array(network).min(1),
  secret: z.union([
    z.strictObject({ file: z.string().min(1) }),
    z.strictObject({
      env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name'),
    }),
  ]),
  requireMessageAuthenticator: z.boolean().default(true),
  mode: z.enum(['challenge', 'inline']).default('challenge'),
  secondFactorOnly: z
    .boolean()
    .default(false)
    .describe(
      'The client checked the password itself (NPS): the User-Name is trusted, User-Password ignored, only the second factor asked.',
    ),
  separator: z.string().min(1).max(4).default(','),
  language: z
    .string()
    .regex(/^[a-z]{2}$/)
    .optional(),
  radsec: z.boolean().default(false),
  replyAttributes: z.array(replyAttribute).default([]),
});

/** A reply attribute, maybe only for some groups. */
export type ClientReplyAttribute = ReplyAttribute & { groups?: string[] | undefined };

/** A RADIUS client (NAS) Passgate answers. */
export interface RadiusClient {
  /** The application name in policies and the audit log. */
  name: string;
  networks: Array<[ipaddr.IPv4 | ipaddr.IPv6, number]>;
  secret: string;
  requireMessageAuthenticator: boolean;
  /** `inline`: the code follows the password after `separator`; `challenge`: Access-Challenge. */
  mode: 'challenge' | 'inline';
  /**
   * The client checked the password itself (NPS in front of RD Gateway): its User-Name is
   * trusted, the first request's User-Password ignored, and only the second factor is asked.
   */
  secondFactorOnly: boolean;
  separator: string;
  language?: string | undefined;
  /** May also connect over RADIUS/TLS (RFC 6614), with a certificate of `radius.radsec.caFile`. */
  radsec: boolean;
  replyAttributes: ClientReplyAttribute[];
}

/** The clients of `metadata/radius/`, found by source address. */
export class RadiusClients {
  constructor(
    readonly clients: readonly RadiusClient[],
    readonly problems: readonly MetadataFileProblem[] = [],
  ) {}

  /** Clients found by source address (a NAS sends from few addresses: no range is matched twice). */
  private readonly found = new Map<string, RadiusClient | undefined>();

  /** The client an address belongs to: the one with the most specific matching range. */
  find(address: string): RadiusClient | undefined {
    if (this.found.has(address)) return this.found.get(address);
    const client = this.match(address);
    // Bounded: a flood from many spoofed addresses must not grow it without end.
    if (this.found.size >= MAX_FOUND) this.found.clear();
    this.found.set(address, client);
    return client;
  }

  private match(address: string): RadiusClient | undefined {
    let ip: ipaddr.IPv4 | ipaddr.IPv6;
    try {
      ip = ipaddr.process(address);
    } catch {
      return undefined;
    }
    let best: { client: RadiusClient; bits: number } | undefined;
    for (const client of this.clients) {
      for (const [range, bits] of client.networks) {
        if (range.kind() === ip.kind() && ip.match(range, bits) && (!best || bits > best.bits))
          best = { client, bits };
      }
    }
    return best?.client;
  }
}

/**
 * Reads every `*.yaml`/`*.yml` of the folder as one client. A broken file (bad setting, secret
 * missing or shorter than 16 characters, unknown reply attribute) is reported with its reason
 * and skipped; the other clients keep working.
 */
export function loadRadiusClients(
  folder: string,
  dictionary: Dictionary,
  env: NodeJS.ProcessEnv = process.env,
): RadiusClients {
  const { entries, problems } = readMetadataFiles(
    folder,
    (text, file) => parseClientFile(text, path.dirname(file), dictionary, env),
    { keyName: 'name', keyOf: (client) => client.name },
  );
  return new RadiusClients(
    entries.map((entry) => entry.value),
    problems,
  );
}

function parseClientFile(
  text: string,
  folder: string,
  dictionary: Dictionary,
  env: NodeJS.ProcessEnv,
): RadiusClient {
  const parsed = clientFile.safeParse(parseYaml(text, { uniqueKeys: true }));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${issue.path.join('.') || '(file)'}: ${issue.message.replace(/^Invalid input: /, '')}`);
  }
  const { addresses, secret: source, replyAttributes, ...settings } = parsed.data;
  if (settings.secondFactorOnly && settings.mode !== 'challenge')
    throw new Error(
      'secondFactorOnly: needs mode: challenge (the password field holds no code to take inline)',
    );
  const secret = readSecret(source, folder, env);
  replyAttributes.forEach((attribute, index) => {
    try {
      dictionary.check(attribute);
    } catch (error) {
      throw new Error(`replyAttributes.${index}: ${describeError(error)}`);
    }
  });
  return {
    ...settings,
    secret,
    replyAttributes,
    networks: addresses.map((a) =>
      a.includes('/') ? ipaddr.parseCIDR(a) : [ipaddr.parse(a), ipaddr.parse(a).kind() === 'ipv4' ? 32 : 128],
    ),
  };
}

function readSecret(
  source: { file: string } | { env: string },
  folder: string,
  env: NodeJS.ProcessEnv,
): string {
  let secret: string | undefined;
  let where: string;
  if ('env' in source) {
    where = `environment variable ${source.env}`;
    secret = env[source.env];
    if (secret === undefined) throw new Error(`secret: ${where} is not set`);
  } else {
    const file = path.resolve(folder, source.file);
    where = `file ${file}`;
    try {
      secret = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    } catch (error) {
      throw new Error(
        `secret: ${where} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
  }
  if (secret.length < MIN_SECRET_LENGTH)
    throw new Error(
      `secret: the shared secret from ${where} has ${secret.length} characters; at least ${MIN_SECRET_LENGTH} are required`,
    );
  return secret;
}
