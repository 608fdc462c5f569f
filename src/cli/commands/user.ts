import { isIP } from 'node:net';
import type { Command } from 'commander';
import {
  addressCounters,
  clearCounters,
  type ThrottledCounter,
  throttledCounters,
  userCounters,
} from '../../engine/throttle-counters.js';
import { addressSpellings } from '../../engine/throttle-keys.js';
import type { Core } from '../../server/core.js';
import { composeSessions } from '../../server/sessions.js';
import { StoreErrors } from '../../store/errors.js';
import { normalizeUsername, type User } from '../../store/repositories/users.js';
import { type GlobalOptions, say, userOperations, withCore } from '../context.js';
import { type CliIo, readSecret } from '../io.js';
import { formatTable } from '../table.js';
import { cliOperator } from './session.js';

/** `passgate user add|list|show|disable|enable|unlock`: the local directory, and sign-in throttling. */
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
        await withCore(globals(), async (core) => {
          const created = await userOperations(core).createLocal({
            username,
            password,
            displayName: options.displayName ?? null,
            email: options.email ?? null,
            mobile: options.mobile ?? null,
            groups: options.group ?? [],
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
        const rows = users.map((u) => [
          u.username,
          u.displayName ?? '',
          u.email ?? '',
          u.disabled ? 'disabled' : 'enabled',
        ]);
        for (const line of formatTable(['USER', 'NAME', 'E-MAIL', 'STATUS'], rows)) say(io, line);
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
        const throttled = await throttledCounters(
          core.throttle,
          userCounters(found.username, found, core.config),
          core.clock(),
        );
        if (options.json) {
          const throttling = throttled.map(({ kind, failures, refusedUntil }) => ({
            kind,
            failures,
            refusedUntil: refusedUntil === null ? null : new Date(refusedUntil).toISOString(),
          }));
          return say(io, JSON.stringify({ ...found, throttling }, null, 2));
        }
        for (const [label, value] of describe(found)) say(io, `${label.padEnd(14)}${value}`);
        say(io, `${'Throttling'.padEnd(14)}${describeThrottling(throttled, found.username)}`);
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
          const found = await core.users.findByUsername(username);
          if (!found) throw StoreErrors.NOT_FOUND({ detail: `no user "${username}"` });
          // A disabled user's sessions end on every server at their next request.
          const sessions = composeSessions(core);
          const { user: updated, sessionsEnded: ended } = await userOperations(core, sessions).setDisabled(
            found,
            disabled,
            { by: cliOperator() },
          );
          await sessions.settled(); // the OIDC clients' Logout Tokens go out before the store closes
          await core.audit.record({
            type: `admin.user.${name}`,
            outcome: 'success',
            username: updated.username,
            userId: updated.id,
            details: { via: 'cli' },
          });
          say(
            io,
            `User ${updated.username} is ${disabled ? 'disabled' : 'enabled'}.` +
              (ended.length > 0 ? ` Ended ${ended.length} session${ended.length === 1 ? '' : 's'}.` : ''),
          );
        });
      });
  }

  user
    .command('unlock [username]')
    .description(
      'End the throttling of sign-ins after too many failed attempts: of a user (passwords and second factors), ' +
        'of a source address (--address), or both. Token locks are cleared with `token unlock`.',
    )
    .option('--address <ip>', 'also clear the failed passwords counted for this source address')
    .action(async (username: string | undefined, options: { address?: string }) => {
      if (username === undefined && options.address === undefined)
        throw new Error('name a user, --address <ip>, or both');
      if (options.address !== undefined && !isIP(addressSpellings(options.address)[0]!))
        throw new Error(`--address: "${options.address}" is not an IPv4 or IPv6 address`);
      await withCore(globals(), async (core) => {
        if (username !== undefined) await unlockUser(core, io, username);
        if (options.address !== undefined) await unlockAddress(core, io, options.address);
      });
    });
}

async function unlockUser(core: Core, io: CliIo, username: string): Promise<void> {
  const name = normalizeUsername(username);
  if (!name) throw new Error('the user name is empty');
  // A name nobody has (yet) is still cleared: its failures were counted all the same.
  const found = await core.users.findByUsername(name);
  const cleared = await clearCounters(core.throttle, userCounters(name, found, core.config), core.clock());
  await core.audit.record({
    type: 'admin.user.unlock',
    outcome: 'success',
    username: found?.username ?? name,
    userId: found?.id ?? null,
    details: { via: 'cli', cleared: cleared.map(summary) },
  });
  say(
    io,
    cleared.length > 0
      ? `Sign-ins of ${found?.username ?? name} are no longer throttled (cleared ${cleared.map(failuresOf).join(', ')}).`
      : `Sign-ins of ${found?.username ?? name} were not throttled; nothing to clear.`,
  );
}

async function unlockAddress(core: Core, io: CliIo, address: string): Promise<void> {
  const shown = addressSpellings(address)[0]!;
  const cleared = await clearCounters(core.throttle, addressCounters(address, core.config), core.clock());
  await core.audit.record({
    type: 'admin.address.unlock',
    outcome: 'success',
    address: shown,
    details: { via: 'cli', cleared: cleared.map(summary) },
  });
  const failures = cleared.reduce((sum, c) => sum + c.failures, 0);
  say(
    io,
    cleared.length > 0
      ? `Sign-ins from ${shown} are no longer throttled (cleared ${failures} failed password attempt${failures === 1 ? '' : 's'}).`
      : `Sign-ins from ${shown} were not throttled; nothing to clear.`,
  );
}

const KIND_WORDS: Record<ThrottledCounter['kind'], [string, string]> = {
  password: ['failed password attempt', 'failed password attempts'],
  'second-factor': ['failed second-factor attempt', 'failed second-factor attempts'],
  address: ['failed password attempt', 'failed password attempts'],
};

function failuresOf(counter: ThrottledCounter): string {
  const [one, many] = KIND_WORDS[counter.kind];
  return `${counter.failures} ${counter.failures === 1 ? one : many}`;
}

function summary(counter: ThrottledCounter) {
  return { kind: counter.kind, failures: counter.failures, refusedUntil: counter.refusedUntil };
}

/** The throttling line of `user show`: what is counted, and until when sign-ins are refused. */
function describeThrottling(throttled: readonly ThrottledCounter[], username: string): string {
  if (throttled.length === 0) return 'none';
  const parts = throttled.map((c) =>
    c.refusedUntil === null
      ? `${failuresOf(c)} (still allowed)`
      : `${failuresOf(c)}: refused until ${new Date(c.refusedUntil).toISOString()}`,
  );
  const refused = throttled.some((c) => c.refusedUntil !== null);
  return `${parts.join('; ')}${refused ? ` (\`passgate user unlock ${username}\` ends it)` : ''}`;
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
