import { readFile } from 'node:fs/promises';
import { type Command, Option } from 'commander';
import type { Core } from '../../server/core.js';
import type { Token } from '../../store/repositories/tokens.js';
import { enrolOath } from '../../tokens/enrol.js';
import { TokenErrors } from '../../tokens/errors.js';
import { describeSummary, importTokenFile } from '../../tokens/import/index.js';
import type { OathAlgorithm } from '../../tokens/oath.js';
import { resynchronise } from '../../tokens/resync.js';
import { newTokenId, parseSecret } from '../../tokens/secrets.js';
import { type GlobalOptions, say, withCore } from '../context.js';
import { type CliIo, readSecret } from '../io.js';
import { formatTable } from '../table.js';

interface AddOptions {
  type: string;
  secret?: string;
  hex?: boolean;
  algorithm?: string;
  digits?: string;
  period?: string;
  counter?: string;
  serial?: string;
  description?: string;
  hardware?: boolean;
  count: string;
}

interface ImportCliOptions {
  format?: 'pskc' | 'csv';
  pskFile?: string;
  user?: string;
  userColumn: string;
  secretEncoding: 'auto' | 'hex' | 'base32';
  dryRun?: boolean;
}

/** `passgate token add|list|import|remove|resync|unlock|disable|enable`: second factors. */
export function registerTokenCommands(program: Command, io: CliIo): void {
  const token = program.command('token').description('Manage second-factor tokens');
  const globals = () => program.opts<GlobalOptions>();

  token
    .command('add <username>')
    .description(
      'Enrol a token for a user. Without --secret a new secret is generated and shown once (otpauth URI for a QR code). ' +
        '--secret - reads it from standard input; --secret BASE32 on the command line is for scripted imports of test seeds.',
    )
    .requiredOption('--type <type>', 'totp, hotp or backup')
    .option('--secret <base32>', 'shared secret in base32 (or hex with --hex); - reads standard input')
    .option('--hex', 'the secret is hexadecimal')
    .option('--algorithm <name>', 'SHA1, SHA256 or SHA512', 'SHA1')
    .option('--digits <n>', '6, 7 or 8', '6')
    .option('--period <seconds>', 'TOTP time step', '30')
    .option('--counter <n>', 'HOTP: next counter value', '0')
    .option('--serial <serial>', 'hardware serial number')
    .option('--description <text>', 'shown to the user and in listings')
    .option('--hardware', 'a hardware token')
    .option('--count <n>', 'backup: codes in the list', '10')
    .action(async (username: string, options: AddOptions) => {
      await withCore(globals(), async (core) => {
        const user = await core.users.findByUsername(username);
        if (!user) throw new Error(`no user "${username}"`);
        if (options.type === 'backup')
          return addBackupCodes(core, io, user.id, user.username, Number(options.count));
        if (options.type !== 'totp' && options.type !== 'hotp') {
          throw TokenErrors.TOKEN_INVALID_PARAMETERS({ detail: '--type must be totp, hotp or backup' });
        }
        if (options.hardware && !options.secret) {
          throw TokenErrors.TOKEN_INVALID_PARAMETERS({
            detail:
              '--hardware needs --secret: the seed the vendor supplied with the device (or use token import)',
          });
        }
        const secretText = options.secret === '-' ? await readSecret(io, 'Secret') : options.secret;
        const result = await enrolOath(
          core.tokens,
          {
            userId: user.id,
            label: user.username,
            type: options.type,
            ...(secretText ? { secret: parseSecret(secretText, options.hex ? 'hex' : 'base32') } : {}),
            algorithm: options.algorithm?.toUpperCase().replace('-', '') as OathAlgorithm,
            digits: Number(options.digits),
            period: Number(options.period),
            counter: Number(options.counter),
            hardware: options.hardware ?? false,
            serial: options.serial ?? null,
            description: options.description ?? null,
          },
          core.config.mfa.issuer,
        );
        await audit(core, 'admin.token.add', user.username, result.token);
        say(io, `Enrolled ${result.token.type.toUpperCase()} token ${result.token.id} for ${user.username}.`);
        if (result.secretBase32) {
          say(io, `Secret (shown once): ${result.secretBase32}`);
          say(io, `URI for a QR code: ${result.otpauthUri}`);
        }
      });
    });

  token
    .command('list [username]')
    .description('List tokens, of one user or of everybody')
    .option('--json', 'print JSON')
    .action(async (username: string | undefined, options: { json?: boolean }) => {
      await withCore(globals(), async (core) => {
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
        const table = rows.map(({ user, token: t }) => describe(user, t, now));
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
      await withCore(globals(), async (core) => {
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
      await withCore(globals(), async (core) => {
        const found = await requireToken(core, id);
        const result = await resynchronise(
          core.tokens,
          found,
          [code1, code2],
          core.config.mfa.resyncWindow,
          core.clock,
        );
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
        await withCore(globals(), async (core) => {
          const found = await requireToken(core, id);
          if (name === 'remove') await core.tokens.remove(id);
          else if (name === 'unlock') await core.tokens.unlock(id);
          else await core.tokens.setStatus(id, name === 'disable' ? 'disabled' : 'active');
          await audit(core, `admin.token.${name}`, null, found);
          say(
            io,
            `Token ${id}: ${{ remove: 'removed', unlock: 'unlocked', disable: 'disabled', enable: 'enabled' }[name]}.`,
          );
        });
      });
  }
}

async function addBackupCodes(
  core: Core,
  io: CliIo,
  userId: string,
  username: string,
  count: number,
): Promise<void> {
  if (!Number.isInteger(count) || count < 1 || count > 100) {
    throw TokenErrors.TOKEN_INVALID_PARAMETERS({ detail: '--count must be from 1 to 100' });
  }
  const token = await core.tokens.create({ id: newTokenId('backup'), userId, type: 'backup' });
  const codes = await core.tokenTypes.backup.issue(token.id, count);
  await audit(core, 'admin.token.add', username, token);
  say(io, `Enrolled backup codes ${token.id} for ${username}. Each code works once (shown only now):`);
  for (const code of codes) say(io, `  ${code}`);
}

async function requireToken(core: Core, id: string): Promise<Token> {
  const found = await core.tokens.findById(id);
  if (!found) throw TokenErrors.TOKEN_NOT_FOUND({ detail: `no token "${id}"` });
  return found;
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

function describe(user: string, t: Token, now: number): string[] {
  const settings =
    t.type === 'totp' || t.type === 'hotp'
      ? `${t.algorithm}/${t.digits}${t.type === 'totp' ? `/${t.period}s` : ` counter ${t.counter}`}`
      : '';
  const state =
    t.lockedUntil !== null && t.lockedUntil > now
      ? `locked until ${new Date(t.lockedUntil).toISOString()}`
      : t.status + (t.failures > 0 ? ` (${t.failures} failures)` : '');
  return [t.id, user, t.type, settings, t.serial ?? '', t.description ?? '', state];
}
