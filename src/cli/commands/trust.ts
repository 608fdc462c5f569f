import type { Command } from 'commander';
import { TrustErrors } from '../../policy/authentication/context/errors.js';
import type { TrustEntry } from '../../policy/authentication/context/learned-trust.js';
import type { Core } from '../../server/core.js';
import { StoreErrors } from '../../store/errors.js';
import type { User } from '../../store/repositories/users.js';
import { type GlobalOptions, say, userOperations, withCore } from '../context.js';
import type { CliIo } from '../io.js';

/** `passgate trust list|revoke`: the networks users have learned to be trusted. */
export function registerTrustCommands(program: Command, io: CliIo): void {
  const trust = program.command('trust').description('Learned trusted networks (policies.learning)');
  const globals = () => program.opts<GlobalOptions>();

  trust
    .command('list [username]')
    .description('List learned networks and their state, of one user or of everybody')
    .option('--json', 'print JSON')
    .action(async (username: string | undefined, options: { json?: boolean }) => {
      await withCore(globals(), async (core) => {
        const user = username === undefined ? undefined : await requireUser(core, username);
        const entries = await core.learnedTrust.list(user?.id);
        if (options.json) return say(io, JSON.stringify(entries.map(toJson), null, 2));
        if (entries.length === 0) return say(io, 'No learned networks.');
        say(io, row(['USER', 'NETWORK', 'STATE', 'SUCCESSES', 'TRUSTED UNTIL']));
        for (const e of entries) {
          const until = e.state === 'trusted' || e.state === 'expired' ? iso(e.trustedUntil) : '';
          say(io, row([e.username, e.network, e.state, String(e.successes), until ?? '']));
        }
      });
    });

  trust
    .command('revoke <username> [network]')
    .description(
      'Revoke one learned network of a user (a CIDR or any address in it), or all of them with --all; ' +
        'MFA is asked again there and learning starts afresh',
    )
    .option('--all', 'revoke every network of the user')
    .action(async (username: string, network: string | undefined, options: { all?: boolean }) => {
      if ((network === undefined) === !options.all) {
        throw TrustErrors.TRUST_INVALID_ARGUMENTS({
          detail: network
            ? 'give a network or --all, not both'
            : 'name a network, or use --all for every one',
        });
      }
      await withCore(globals(), async (core) => {
        const user = await requireUser(core, username);
        const operations = userOperations(core);
        if (network === undefined) {
          const { revoked: count } = await operations.revokeNetwork(user);
          return say(io, `Revoked ${count} network${count === 1 ? '' : 's'} of ${user.username}.`);
        }
        const { network: canonical, revoked: count } = await operations.revokeNetwork(user, network);
        say(io, `Network ${canonical} of ${user.username}: ${count ? 'revoked' : 'already revoked'}.`);
      });
    });
}

async function requireUser(core: Core, username: string): Promise<User> {
  const user = await core.users.findByUsername(username);
  if (!user) throw StoreErrors.NOT_FOUND({ detail: `no user "${username}"` });
  return user;
}

function toJson(entry: TrustEntry) {
  return {
    username: entry.username,
    network: entry.network,
    state: entry.state,
    successes: entry.successes,
    trustedUntil: iso(entry.trustedUntil),
    lastSuccessAt: iso(entry.lastSuccessAt),
  };
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

function row(cells: string[]): string {
  const widths = [20, 26, 9, 10];
  return cells
    .map((cell, i) => cell.padEnd(widths[i] ?? 0))
    .join(' ')
    .trimEnd();
}
