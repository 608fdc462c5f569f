import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { defaultDatabaseUrl, sqliteFileOf } from './database-url.js';
import { ConfigErrors } from './errors.js';
import { describeIssues, problemLine, type SettingOrigins } from './issues.js';
import { isLoopbackHost } from './loopback.js';
import type { ConfigInput, ConfigSchema, ParsedConfig, PluginSchemas } from './schema.js';

/**
 * The validated configuration with every derived default filled in. Over config/'s own view of
 * the plug-in sections by default (what every layer needs); the composition root's `Config`
 * (src/server/config.ts) carries the plug-ins' exact types.
 */
export type Config<P extends PluginSchemas = PluginSchemas> = Omit<
  ParsedConfig<P>,
  'database' | 'dispatch'
> & {
  database: ParsedConfig<P>['database'] & {
    url: string;
    /** True only for the embedded default (SQLite in the default data folder): that folder may be created. */
    createFolder: boolean;
  };
  dispatch: { gateways: z.output<P['gateway']>[] };
  /** The file the configuration came from, if any. */
  source?: string;
};

/** Where configuration comes from: a file and the process environment. */
export interface ConfigSources<P extends PluginSchemas = PluginSchemas> {
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Extra settings merged over the file (tests, the CLI); same shape as the file. */
  overrides?: ConfigInput<P>;
}

/** Environment variables that override one configuration key each (the public contract). */
export const ENV_OVERRIDES: ReadonlyArray<{ variable: string; key: readonly string[]; numeric?: boolean }> = [
  { variable: 'PASSGATE_MODE', key: ['mode'] },
  { variable: 'PORT', key: ['server', 'port'], numeric: true },
  { variable: 'PASSGATE_PUBLIC_URL', key: ['server', 'publicUrl'] },
  { variable: 'PASSGATE_WORKERS', key: ['server', 'workers'], numeric: true },
  { variable: 'PASSGATE_DATABASE_URL', key: ['database', 'url'] },
  { variable: 'PASSGATE_MASTER_KEY', key: ['secrets', 'masterKey'] },
];

/**
 * Reads, merges and validates the configuration against `schema` (the full one, assembled by the
 * composition root). Wrong settings raise CONFIG_INVALID whose message has one line per problem,
 * each naming the key, ready to print.
 */
export function loadConfigWith<P extends PluginSchemas>(
  configSchema: ConfigSchema<P>,
  sources: ConfigSources<P> = {},
): Config<P> {
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

  const origins: SettingOrigins = { fromEnv, file };
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    throw ConfigErrors.CONFIG_INVALID({
      detail: describeIssues(configSchema, result.error.issues, origins).join('\n'),
    });
  }
  const config = resolveDefaults(configSchema, result.data, file);
  const problems = crossOptionProblems(config, result.data).map(({ key, problem, missing }) =>
    problemLine(key, problem, missing ? { fromEnv: {} } : origins),
  );
  if (problems.length > 0) throw ConfigErrors.CONFIG_INVALID({ detail: problems.join('\n') });
  // What `configSchema` parsed: the plug-in sections have P's types (zod's types cannot follow P through the code above).
  return config as Config<P>;
}

/**
 * Fills in the derived defaults. Only the default data folder is created by Passgate; any other
 * folder must exist (a typo must not start an empty database).
 */
function resolveDefaults(
  configSchema: ConfigSchema,
  parsed: ParsedConfig,
  source: string | undefined,
): Config {
  const defaultDataDir = configSchema.shape.dataDir.parse(undefined);
  return {
    ...parsed,
    database: {
      ...parsed.database,
      url: parsed.database.url ?? defaultDatabaseUrl(parsed.dataDir),
      createFolder: parsed.database.url === undefined && parsed.dataDir === defaultDataDir,
    },
    dispatch: {
      // The outbox is config/'s one assumption about the gateway plug-ins (see crossOptionProblems).
      gateways:
        parsed.dispatch.gateways ??
        (parsed.mode === 'development'
          ? (configSchema.shape.dispatch.parse({ gateways: [{ type: 'outbox', name: 'outbox' }] }).gateways ??
            [])
          : []),
    },
    ...(source ? { source } : {}),
  };
}

/** A problem found after validation; `missing` when the key is set nowhere (so no file or variable to point at). */
interface CrossOptionProblem {
  key: string;
  problem: string;
  missing: boolean;
}

/** Checks that involve more than one option or the file system, run once at start-up; every problem found. */
function crossOptionProblems(config: Config, parsed: ParsedConfig): CrossOptionProblem[] {
  const problems: CrossOptionProblem[] = [];
  const fail = (key: string, problem: string, missing = false) => problems.push({ key, problem, missing });
  if (config.mode === 'production') {
    if (!config.secrets.masterKey) {
      fail(
        'secrets.masterKey',
        'required in production mode; set PASSGATE_MASTER_KEY to base64 of 32 random bytes (openssl rand -base64 32)',
        true,
      );
    }
    if (parsed.dispatch.gateways === undefined) {
      fail(
        'dispatch.gateways',
        'required in production mode: a gateway that sends passcodes (sms, voice or email), or [] when only authenticator apps and hardware tokens are used',
        true,
      );
    } else if (
      config.dispatch.gateways.length > 0 &&
      config.dispatch.gateways.every((g) => g.type === 'outbox')
    ) {
      fail(
        'dispatch.gateways',
        'the outbox writes passcodes to files instead of sending them; production mode needs a gateway that sends them (sms, voice or email)',
      );
    }
  }
  if (config.mode === 'production' && isRemotePlainHttp(config.server.publicUrl)) {
    fail(
      'server.publicUrl',
      'production needs an https address (plain http sends passwords and session cookies in clear); put a TLS proxy in front and give its https URL',
    );
  }
  for (const [index, key] of [config.secrets.masterKey, ...config.secrets.previousMasterKeys].entries()) {
    if (key !== undefined && Buffer.from(key, 'base64').length !== 32) {
      fail(
        index === 0 ? 'secrets.masterKey' : `secrets.previousMasterKeys.${index - 1}`,
        'expected base64 of exactly 32 bytes (try: openssl rand -base64 32)',
      );
    }
  }
  const sqliteFolder = sqliteFolderOf(config.database.url);
  if (sqliteFolder && !config.database.createFolder && !existsSync(sqliteFolder)) {
    fail(
      parsed.database.url === undefined ? 'dataDir' : 'database.url',
      `the folder ${sqliteFolder} does not exist; create it or correct the path`,
    );
  }
  if (config.database.retryMaxDelayMs < config.database.retryInitialDelayMs) {
    fail('database.retryMaxDelayMs', 'must not be smaller than database.retryInitialDelayMs');
  }
  const directories = [
    ['directory', config.directory] as const,
    ...Object.entries(config.directories).map(([name, d]) => [`directories.${name}`, d] as const),
  ];
  for (const [key, ad] of directories) {
    if (
      ad.type !== 'ad' ||
      ad.startTls ||
      ad.allowPlainLdap ||
      !ad.urls.some((url) => url.startsWith('ldap://'))
    )
      continue;
    // Plain ldap:// would send every password in clear.
    fail(`${key}.urls`, `ldap:// needs ${key}.startTls: true (or allowPlainLdap: true, for tests only)`);
  }
  if ('default' in config.directories)
    fail('directories.default', '`default` is the `directory` setting: name this one otherwise');
  const locals = directories.filter(([, d]) => d.type === 'local').map(([key]) => key);
  if (locals.length > 1) fail('directories', `at most one local directory (${locals.join(', ')} are local)`);
  const directoryNames = new Set(['default', ...Object.keys(config.directories)]);
  for (const [i, site] of config.reset.sites.entries()) {
    if (!directoryNames.has(site.directory))
      fail(
        `reset.sites.${i}.directory`,
        `no directory "${site.directory}" (default, or a key of directories)`,
      );
  }
  for (const { key, problem } of retentionProblems(config)) fail(key, problem);
  const names = config.dispatch.gateways.map((g) => g.name);
  const duplicate = names.find((name, i) => names.indexOf(name) !== i);
  if (duplicate) fail('dispatch.gateways', `the name "${duplicate}" is used twice`);
  return problems;
}

/** Retention periods shorter than a window that counts the rows they delete (the limit would restart early). */
function retentionProblems(config: Config): Array<{ key: string; problem: string }> {
  const problems: Array<{ key: string; problem: string }> = [];
  const { retention, loginThrottle, mfa } = config;
  const windows: Array<[string, number]> = [
    ['loginThrottle.perUser.windowSeconds', loginThrottle.perUser.windowSeconds],
    ['loginThrottle.perAddress.windowSeconds', loginThrottle.perAddress.windowSeconds],
    ['mfa.userWindowSeconds', mfa.userWindowSeconds],
  ];
  const [longest, seconds] = windows.reduce((a, b) => (b[1] > a[1] ? b : a));
  if (retention.throttleHours * 3600 < seconds) {
    problems.push({
      key: 'retention.throttleHours',
      problem: `must cover ${longest} (${seconds} s), or throttle counters would be deleted while they still count`,
    });
  }
  if (retention.passcodesMinutes * 60 < mfa.passcodeLimit.windowSeconds) {
    problems.push({
      key: 'retention.passcodesMinutes',
      problem: `must cover mfa.passcodeLimit.windowSeconds (${mfa.passcodeLimit.windowSeconds} s), or sent passcodes would be deleted while the limit still counts them`,
    });
  }
  return problems;
}

/** The folder a SQLite database file would be created in (none for PostgreSQL and in-memory databases). */
function sqliteFolderOf(url: string): string | undefined {
  const file = sqliteFileOf(url);
  return file === undefined || file === ':memory:' ? undefined : path.dirname(path.resolve(file));
}

/** A plain-http URL to another machine (loopback is this machine: nothing crosses a network). */
function isRemotePlainHttp(url: string | undefined): boolean {
  if (!url) return false;
  const { protocol, hostname } = new URL(url);
  return protocol === 'http:' && !isLoopbackHost(hostname);
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
