import { readFile } from 'node:fs/promises';
import { type Command, Option } from 'commander';
import type { Core } from '../../server/core.js';
import type { Token } from '../../store/repositories/tokens.js';
import { TokenErrors } from '../../tokens/errors.js';
import { describeSummary, importTokenFile } from '../../tokens/import/index.js';
import { TOKEN_TYPES } from '../../tokens/registry.js';
import { parseSecret } from '../../tokens/secrets.js';
import type { ParameterInfo, TokenTypePlugin } from '../../tokens/token-type.js';
import { type GlobalOptions, say, userOperations, withCore } from '../context.js';
import { type CliIo, readSecret } from '../io.js';
import { formatTable } from '../table.js';

/** What `token add` was given: the common options, and each type's parameters by name. */
interface AddOptions {
  type: string;
  secret?: string;
  hex?: boolean;
  serial?: string;
  description?: string;
  [parameter: string]: unknown;
}

interface ImportCliOptions {
  format?: 'pskc' | 'csv';
  pskFile?: string;
  user?: string;
  userColumn: string;
  secretEncoding: 'auto' | 'hex' | 'base32';
  dryRun?: boolean;
}

/**
 * `passgate token add|list|import|remove|resync|unlock|disable|enable`: second factors. `add`
 * takes the types of `tokenTypes` that are enrolled (`enrolledBy`) and their parameters as options.
 */
export function registerTokenCommands(
  program: Command,
  io: CliIo,
  tokenTypes: readonly TokenTypePlugin[] = TOKEN_TYPES,
): void {
  const token = program.command('token').description('Manage second-factor tokens');
  const globals = () => program.opts<GlobalOptions>();
  const withTypes = <T>(run: (core: Core) => Promise<T>) => withCore(globals(), run, tokenTypes);
  const enrolled = tokenTypes.filter((type) => type.enrolledBy !== undefined);
  const typeList = listWithOr(enrolled.map((type) => type.info.type));

  const add = token
    .command('add <username>')
    .description(
      'Enrol a token for a user. Without --secret a new secret is generated and shown once (otpauth URI for a QR code). ' +
        '--secret - reads it from standard input; --secret BASE32 on the command line is for scripted imports of test seeds.',
    )
    .requiredOption('--type <type>', typeList)
    .option('--secret <base32>', 'shared secret in base32 (or hex with --hex); - reads standard input')
    .option('--hex', 'the secret is hexadecimal');
  for (const option of parameterOptions(enrolled)) add.addOption(option);
  add
    .option('--serial <serial>', 'hardware serial number')
    .option('--description <text>', 'shown to the user and in listings')
    .action(async (username: string, options: AddOptions) => {
      await withTypes(async (core) => {
        const user = await core.users.findByUsername(username);
        if (!user) throw new Error(`no user "${username}"`);
        const type = core.tokenTypes.get(options.type);
        if (!type?.enrolledBy || !type.enrol) {
          throw TokenErrors.TOKEN_INVALID_PARAMETERS({ detail: `--type must be ${typeList}` });
        }
        const secretText = options.secret === '-' ? await readSecret(io, 'Secret') : options.secret;
        const result = await userOperations(core).enrol(user, {
          type: type.info.type,
          settings: Object.fromEntries(type.info.parameters.map((p) => [p.name, options[p.name]])),
          ...(secretText ? { secret: parseSecret(secretText, options.hex ? 'hex' : 'base32') } : {}),
          serial: options.serial ?? null,
          description: options.description ?? null,
        });
        await audit(core, 'admin.token.add', user.username, result.token);
        const listed = result.codes ? ' Each code works once (shown only now):' : '';
        say(io, `Enrolled ${type.describe.noun} ${result.token.id} for ${user.username}.${listed}`);
        if (result.secretBase32) say(io, `Secret (shown once): ${result.secretBase32}`);
        if (result.otpauthUri) say(io, `URI for a QR code: ${result.otpauthUri}`);
        for (const code of result.codes ?? []) say(io, `  ${code}`);
      });
    });

  token
    .command('list [username]')
    .description('List tokens, of one user or of everybody')
    .option('--json', 'print JSON')
    .action(async (username: string | undefined, options: { json?: boolean }) => {
      await withTypes(async (core) => {
        const users = username
          ? [await core.users.findByUsername(username)]
          : await core.users.list({ limit: 10_000 });
        if (username && !users[0]) throw new Error(`no user "${username}"`);
        const rows: Array<{ user: string; token: Token }> = [];
        for (const user of users) {
          for (const t of await core.tokens.listByUser(user!.id))
            rows.push({ user: user!.username, token: t });
        }
        if (options.json)
          return say(
            io,
            JSON.stringify(
              rows.map((r) => ({ username: r.user, ...r.token })),
              null,
              2,
            ),
          );
        if (rows.length === 0) return say(io, 'No tokens.');
        const now = core.clock();
        const table = rows.map(({ user, token: t }) => describe(core, user, t, now));
        for (const line of formatTable(TOKEN_COLUMNS, table)) say(io, line);
      });
    });

  token
    .command('import <file>')
    .description(
      'Import hardware tokens from a PSKC (RFC 6030) or CSV file: all of them, or none when any entry is wrong. ' +
        'The pre-shared key of an encrypted PSKC file comes from --psk-file or standard input, never from argv.',
    )
    .addOption(
      new Option('--format <format>', 'default: from the file name or content').choices(['pskc', 'csv']),
    )
    .option('--psk-file <file>', 'PSKC: file holding the pre-shared key in hexadecimal')
    .option('--user <username>', 'owner of every token (default: PSKC UserId or the CSV user column)')
    .option('--user-column <name>', "CSV: column with the owner's user name", 'user')
    .addOption(
      new Option('--secret-encoding <encoding>', 'CSV').choices(['auto', 'hex', 'base32']).default('auto'),
    )
    .option('--dry-run', 'check the file and import nothing')
    .action(async (file: string, options: ImportCliOptions) => {
      await withTypes(async (core) => {
        const { pskFile } = options;
        const preSharedKey = () =>
          pskFile ? readFile(pskFile, 'utf8') : readSecret(io, 'Pre-shared key (hex)');
        const summary = await importTokenFile(core, file, { ...options, preSharedKey, via: 'cli' });
        say(io, describeSummary(summary, options.dryRun));
      });
    });

  token
    .command('resync <id> <code1> <code2>')
    .description('Resynchronise an HOTP counter or a TOTP clock from two consecutive codes')
    .action(async (id: string, code1: string, code2: string) => {
      await withTypes(async (core) => {
        const found = await requireToken(core, id);
        const result = await userOperations(core).resync(found, [code1, code2]);
        await audit(core, 'admin.token.resync', null, found, result);
        say(
          io,
          result.counter !== undefined
            ? `Token ${id} resynchronised: next counter ${result.counter}.`
            : `Token ${id} resynchronised: clock drift ${result.drift} step(s).`,
        );
      });
    });

  for (const [name, description] of [
    ['remove', 'Delete a token'],
    ['unlock', 'Clear the failure count and lock of a token'],
    ['disable', 'Disable a token without deleting it'],
    ['enable', 'Enable a disabled token'],
  ] as const) {
    token
      .command(`${name} <id>`)
      .description(description)
      .action(async (id: string) => {
        await withTypes(async (core) => {
          const found = await requireToken(core, id);
          await userOperations(core).changeToken(found, name);
          await audit(core, `admin.token.${name}`, null, found);
          say(
            io,
            `Token ${id}: ${{ remove: 'removed', unlock: 'unlocked', disable: 'disabled', enable: 'enabled' }[name]}.`,
          );
        });
      });
  }
}

function requireToken(core: Core, id: string): Promise<Token> {
  return userOperations(core).requireToken(id);
}

function audit(core: Core, type: string, username: string | null, token: Token, details: object = {}) {
  return core.audit.record({
    type,
    outcome: 'success',
    username,
    userId: token.userId,
    details: { token: token.id, tokenType: token.type, via: 'cli', ...details },
  });
}

/** The columns of `token list`. */
const TOKEN_COLUMNS = ['ID', 'USER', 'TYPE', 'SETTINGS', 'SERIAL', 'DESCRIPTION', 'STATE'];

function describe(core: Core, user: string, t: Token, now: number): string[] {
  const settings = core.tokenTypes.get(t.type)?.describe.settings(t) ?? '';
  const state =
    t.lockedUntil !== null && t.lockedUntil > now
      ? `locked until ${new Date(t.lockedUntil).toISOString()}`
      : t.status + (t.failures > 0 ? ` (${t.failures} failures)` : '');
  return [t.id, user, t.type, settings, t.serial ?? '', t.description ?? '', state];
}

/** "a, b or c". */
function listWithOr(words: readonly string[]): string {
  return words.length < 2 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} or ${words.at(-1)}`;
}

/**
 * One `token add` option per parameter of the enrolled types, in their order, each once: a
 * switch for a boolean parameter, else a value with the type's default.
 */
function parameterOptions(types: readonly TokenTypePlugin[]): Option[] {
  const byName = new Map<string, { parameter: ParameterInfo; types: string[] }>();
  for (const type of types) {
    for (const parameter of type.info.parameters) {
      const seen = byName.get(parameter.name);
      if (seen) seen.types.push(type.info.type);
      else byName.set(parameter.name, { parameter, types: [type.info.type] });
    }
  }
  return [...byName.values()].map(({ parameter, types: owners }) => {
    const values = parameter.values ? `: ${listWithOr(parameter.values.map(String))}` : '';
    const description = `${owners.join(', ')}: ${parameter.description}${values}`;
    if (typeof parameter.default === 'boolean') return new Option(`--${parameter.name}`, description);
    const option = new Option(`--${parameter.name} <value>`, description);
    return parameter.default === undefined ? option : option.default(String(parameter.default));
  });
}
