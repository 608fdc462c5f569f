import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { defineErrors } from '../errors.js';
import { type ConfigInput, configSchema, type ParsedConfig } from './schema.js';

/** Errors of configuration loading; the CLI turns them into exit code 2. */
export const ConfigErrors = defineErrors({
  CONFIG_INVALID: { status: 500, publicMessage: 'The configuration is invalid.' },
  CONFIG_UNREADABLE: { status: 500, publicMessage: 'The configuration file cannot be read.' },
});

/** Gateway settings as validated. */
export type GatewayConfig = NonNullable<ParsedConfig['dispatch']['gateways']>[number];

/** The validated configuration with every derived default filled in. */
export type Config = Omit<ParsedConfig, 'database' | 'dispatch'> & {
  database: ParsedConfig['database'] & { url: string };
  dispatch: { gateways: GatewayConfig[] };
  /** The file the configuration came from, if any. */
  source?: string;
};

/** Where configuration comes from: a file and the process environment. */
export interface ConfigSources {
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Extra settings merged over the file (tests, the CLI); same shape as the file. */
  overrides?: ConfigInput;
}

/** Environment variables that override one configuration key each (the public contract). */
const ENV_OVERRIDES: ReadonlyArray<{ variable: string; key: readonly string[]; numeric?: boolean }> = [
  { variable: 'PORT', key: ['server', 'port'], numeric: true },
  { variable: 'PASSGATE_PUBLIC_URL', key: ['server', 'publicUrl'] },
  { variable: 'PASSGATE_DATABASE_URL', key: ['database', 'url'] },
  { variable: 'PASSGATE_MASTER_KEY', key: ['secrets', 'masterKey'] },
];

/**
 * Reads, merges and validates the configuration. A wrong setting raises CONFIG_INVALID whose
 * message is one line naming the key and the problem, ready to print.
 */
export function loadConfig(sources: ConfigSources = {}): Config {
  const env = sources.env ?? process.env;
  const file = sources.file ?? (env.PASSGATE_CONFIG || undefined);
  const raw = file ? readConfigFile(file) : {};
  const fromEnv: Record<string, string> = {};
  for (const { variable, key, numeric } of ENV_OVERRIDES) {
    const value = env[variable];
    if (value === undefined || value === '') continue;
    setPath(raw, key, numeric && /^\d+$/.test(value) ? Number(value) : value);
    fromEnv[key.join('.')] = variable;
  }
  if (sources.overrides) deepMerge(raw, sources.overrides as Record<string, unknown>);

  const result = configSchema.safeParse(raw);
  if (!result.success) {
    throw ConfigErrors.CONFIG_INVALID({ detail: describeIssues(result.error.issues, fromEnv, file) });
  }
  return resolveDefaults(result.data, file);
}

function resolveDefaults(parsed: ParsedConfig, source: string | undefined): Config {
  const config: Config = {
    ...parsed,
    database: {
      ...parsed.database,
      url: parsed.database.url ?? `sqlite:${path.join(parsed.dataDir, 'passgate.db')}`,
    },
    dispatch: {
      gateways:
        parsed.dispatch.gateways ??
        (parsed.mode === 'development' ? [{ type: 'outbox', name: 'outbox' }] : []),
    },
    ...(source ? { source } : {}),
  };
  checkCrossOptions(config);
  return config;
}

/** Checks that involve more than one option, run once at start-up. */
function checkCrossOptions(config: Config): void {
  const fail = (detail: string) => {
    throw ConfigErrors.CONFIG_INVALID({ detail });
  };
  if (config.mode === 'production' && !config.secrets.masterKey) {
    fail('secrets.masterKey: required in production mode (or set PASSGATE_MASTER_KEY)');
  }
  if (config.mode === 'production' && isRemotePlainHttp(config.server.publicUrl)) {
    fail(
      'server.publicUrl: production needs an https address (plain http sends passwords and session cookies in clear); put a TLS proxy in front and give its https URL',
    );
  }
  for (const [index, key] of [config.secrets.masterKey, ...config.secrets.previousMasterKeys].entries()) {
    if (key !== undefined && Buffer.from(key, 'base64').length !== 32) {
      fail(
        `${index === 0 ? 'secrets.masterKey' : `secrets.previousMasterKeys.${index - 1}`}: expected base64 of exactly 32 bytes (try: openssl rand -base64 32)`,
      );
    }
  }
  if (config.database.retryMaxDelayMs < config.database.retryInitialDelayMs) {
    fail('database.retryMaxDelayMs: must not be smaller than database.retryInitialDelayMs');
  }
  const ad = config.directory.type === 'ad' ? config.directory : undefined;
  if (ad && !ad.startTls && !ad.allowPlainLdap && ad.urls.some((url) => url.startsWith('ldap://'))) {
    // Plain ldap:// would send every password in clear.
    fail('directory.urls: ldap:// needs directory.startTls: true (or allowPlainLdap: true, for tests only)');
  }
  const names = config.dispatch.gateways.map((g) => g.name);
  const duplicate = names.find((name, i) => names.indexOf(name) !== i);
  if (duplicate) fail(`dispatch.gateways: the name "${duplicate}" is used twice`);
}

/** A plain-http URL to another machine (loopback is this machine: nothing crosses a network). */
function isRemotePlainHttp(url: string | undefined): boolean {
  if (!url) return false;
  const { protocol, hostname } = new URL(url);
  return protocol === 'http:' && !['localhost', '127.0.0.1', '[::1]'].includes(hostname);
}

/**
 * Options that are fine for trying Passgate out but not for production, named so an operator
 * sees them in the first lines of the log.
 */
export function developmentWarnings(config: Config, publicUrl: string): string[] {
  const warnings: string[] = [];
  if (!config.secrets.masterKey) {
    warnings.push(
      `secrets.masterKey is not set: keys and secrets are encrypted with a generated development key in ${path.join(config.dataDir, 'master.key')}`,
    );
  }
  if (publicUrl.startsWith('http:')) {
    warnings.push(
      `server.publicUrl ${publicUrl} is plain http: browsers and relying parties need https in production`,
    );
  }
  if (config.dispatch.gateways.some((g) => g.type === 'outbox')) {
    warnings.push(
      `dispatch.gateways uses the outbox dispatcher: passcodes are written to ${path.join(config.dataDir, 'outbox')}, not sent`,
    );
  }
  return warnings;
}

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw ConfigErrors.CONFIG_UNREADABLE({
      detail: `${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      cause: error,
    });
  }
  let document: unknown;
  try {
    document = parseYaml(text, { prettyErrors: true, uniqueKeys: true });
  } catch (error) {
    const line = (error as { linePos?: Array<{ line: number }> }).linePos?.[0]?.line;
    const reason = String((error as Error).message).split('\n')[0];
    throw ConfigErrors.CONFIG_INVALID({
      detail: `${file}${line ? `:${line}` : ''}: not valid YAML (${reason})`,
    });
  }
  if (document === null || document === undefined) return {};
  if (typeof document !== 'object' || Array.isArray(document)) {
    throw ConfigErrors.CONFIG_INVALID({ detail: `${file}: expected a mapping of settings at the top level` });
  }
  return document as Record<string, unknown>;
}

function describeIssues(issues: z.core.$ZodIssue[], fromEnv: Record<string, string>, file?: string): string {
  const [first, ...rest] = issues;
  if (!first) return 'invalid configuration';
  const keys = first.code === 'unrecognized_keys' ? first.keys.map((k) => [...first.path, k]) : [first.path];
  const key = keys.map((p) => p.map(String).join('.')).join(', ') || '(top level)';
  const message = first.message.replace(/^Invalid input: /, '');
  const problem =
    first.code === 'unrecognized_keys'
      ? 'unknown key'
      : message.endsWith('received undefined')
        ? 'required'
        : message;
  const origin = fromEnv[key] ? ` (from ${fromEnv[key]})` : file ? ` (in ${file})` : '';
  const more = rest.length > 0 ? ` (and ${rest.length} more problem${rest.length > 1 ? 's' : ''})` : '';
  return `${key}: ${problem}${origin}${more}`;
}

function setPath(target: Record<string, unknown>, key: readonly string[], value: unknown): void {
  let node = target;
  for (const part of key.slice(0, -1)) {
    const next = node[part];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[key[key.length - 1] as string] = value;
}

function deepMerge(target: Record<string, unknown>, source: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(source)) {
    const current = target[key];
    if (isPlainObject(value) && isPlainObject(current)) deepMerge(current, value);
    else target[key] = value;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
