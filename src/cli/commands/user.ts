import type { Command } from 'commander';
import { hashPassword } from '../../crypto/password.js';
import { scryptParams } from '../../server/core.js';
import type { User } from '../../store/repositories/users.js';
import { type GlobalOptions, say, withCore } from '../context.js';
import { type CliIo, readSecret } from '../io.js';

/** `passgate user add|list|show|disable|enable`: the local directory. */
export function registerUserCommands(program: Command, io: CliIo): void {
  const user = program.command('user').description('Manage users of the local directory');
  const globals = () => program.opts<GlobalOptions>();

  user
    .command('add <username>')
    .description('Create a user; the password is read from standard input or a prompt, never from argv')
    .option('--display-name <name>', 'full name shown to applications')
    .option('--email <address>', 'e-mail address')
    .option('--mobile <number>', 'mobile number, international format (+33...)')
    .option('--group <name...>', 'group memberships (repeatable)')
    .action(
      async (
        username: string,
        options: { displayName?: string; email?: string; mobile?: string; group?: string[] },
      ) => {
        const password = await readSecret(io, `Password for ${username}`, true);
        if (password.length < 8) throw new Error('the password must have at least 8 characters');
        await withCore(globals(), async (core) => {
          const created = await core.users.create({
            username,
            displayName: options.displayName ?? null,
            email: options.email ?? null,
            mobile: options.mobile ?? null,
            groups: options.group ?? [],
            passwordHash: await hashPassword(password, scryptParams(core.config)),
          });
          await core.audit.record({
            type: 'admin.user.add',
            outcome: 'success',
            username: created.username,
            userId: created.id,
            details: { via: 'cli' },
          });
          say(io, `Created user ${created.username} (${created.id}).`);
        });
      },
    );

  user
    .command('list')
    .description('List users')
    .option('--json', 'print JSON')
    .option('--limit <n>', 'how many', '100')
    .option('--offset <n>', 'skip the first n', '0')
    .action(async (options: { json?: boolean; limit: string; offset: string }) => {
      await withCore(globals(), async (core) => {
        const users = await core.users.list({ limit: Number(options.limit), offset: Number(options.offset) });
        if (options.json) return say(io, JSON.stringify(users, null, 2));
        if (users.length === 0) return say(io, 'No users.');
        for (const u of users) {
          say(
            io,
            [
              u.username.padEnd(24),
              (u.displayName ?? '').padEnd(28),
              u.email ?? '',
              u.disabled ? '(disabled)' : '',
            ]
              .join(' ')
              .trimEnd(),
          );
        }
      });
    });

  user
    .command('show <username>')
    .description('Show one user')
    .option('--json', 'print JSON')
    .action(async (username: string, options: { json?: boolean }) => {
      await withCore(globals(), async (core) => {
        const found = await core.users.findByUsername(username);
        if (!found) throw new Error(`no user "${username}"`);
        if (options.json) return say(io, JSON.stringify(found, null, 2));
        for (const [label, value] of describe(found)) say(io, `${label.padEnd(14)}${value}`);
      });
    });

  for (const [name, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    user
      .command(`${name} <username>`)
      .description(
        disabled ? 'Disable a user: sign-ins and tokens stop working' : 'Enable a disabled user again',
      )
      .action(async (username: string) => {
        await withCore(globals(), async (core) => {
          const updated = await core.users.setDisabled(username, disabled);
          await core.audit.record({
            type: `admin.user.${name}`,
            outcome: 'success',
            username: updated.username,
            userId: updated.id,
            details: { via: 'cli' },
          });
          say(io, `User ${updated.username} is ${disabled ? 'disabled' : 'enabled'}.`);
        });
      });
  }
}

function describe(user: User): Array<[string, string]> {
  return [
    ['Username', user.username],
    ['Id', user.id],
    ['Display name', user.displayName ?? ''],
    ['E-mail', user.email ?? ''],
    ['Mobile', user.mobile ?? ''],
    ['Groups', user.groups.join(', ')],
    ['Status', user.disabled ? 'disabled' : 'enabled'],
    ['Source', user.source],
    ['Created', new Date(user.createdAt).toISOString()],
  ];
}
