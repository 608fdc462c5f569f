import { userInfo } from 'node:os';
import type { Command } from 'commander';
import type { ListedSession } from '../../engine/sessions.js';
import { composeSessions } from '../../server/sessions.js';
import { type GlobalOptions, say, withCore } from '../context.js';
import type { CliIo } from '../io.js';
import { formatTable } from '../table.js';

/** Who ends sessions from the CLI, for the audit log: the operator's account on this host. */
export function cliOperator(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
}

/** `passgate session list|revoke`: the single sign-on sessions, and ending them on every server. */
export function registerSessionCommands(program: Command, io: CliIo): void {
  const session = program.command('session').description('See and end single sign-on sessions');
  const globals = () => program.opts<GlobalOptions>();

  session
    .command('list [username]')
    .description('List the live sessions, newest first: of one user, or of everyone')
    .option('--json', 'print JSON')
    .action(async (username: string | undefined, options: { json?: boolean }) => {
      await withCore(globals(), async (core) => {
        let userId: string | undefined;
        if (username !== undefined) {
          const user = await core.users.findByUsername(username);
          if (!user) throw new Error(`no user "${username}"`);
          userId = user.id;
        }
        const sessions = await composeSessions(core).list(userId !== undefined ? { userId } : {});
        if (options.json) return say(io, JSON.stringify(sessions.map(asJson), null, 2));
        if (sessions.length === 0) return say(io, 'No live sessions.');
        const rows = sessions.map((s) => [
          s.id,
          s.username,
          iso(s.createdAt),
          iso(s.lastSeenAt),
          [s.address, s.country].filter(Boolean).join(' '),
          s.acr.endsWith(':mfa') ? 'mfa' : 'password',
          s.applications.map((app) => `${app.door}:${app.application}`).join(', '),
        ]);
        const header = ['ID', 'USER', 'STARTED', 'LAST SEEN', 'FROM', 'ASSURANCE', 'APPLICATIONS'];
        for (const line of formatTable(header, rows)) say(io, line);
      });
    });

  session
    .command('revoke [id]')
    .description(
      'End a session by its id, or every session of a user (--user): on every server at its next request',
    )
    .option('--user <username>', 'end every session of this user')
    .action(async (id: string | undefined, options: { user?: string }) => {
      if ((id === undefined) === (options.user === undefined))
        throw new Error('name a session id or --user <username>, not both');
      await withCore(globals(), async (core) => {
        const sessions = composeSessions(core);
        const revocation = { reason: 'revoked', by: cliOperator() };
        if (options.user !== undefined) {
          const user = await core.users.findByUsername(options.user);
          if (!user) throw new Error(`no user "${options.user}"`);
          const ended = await sessions.revokeUser(user.id, revocation);
          await sessions.settled(); // the OIDC clients' Logout Tokens go out before the store closes
          return say(
            io,
            ended.length === 0
              ? `${user.username} had no session to end.`
              : `Ended ${ended.length} session${ended.length === 1 ? '' : 's'} of ${user.username}.`,
          );
        }
        const found = await sessions.byId(id!);
        if (!found) throw new Error(`no session "${id}"`);
        if (!(await sessions.revoke(found, revocation)))
          return say(io, `Session ${found.id} was already ended.`);
        await sessions.settled();
        say(io, `Ended session ${found.id}.`);
      });
    });
}

const iso = (ms: number) => new Date(ms).toISOString();

function asJson(session: ListedSession) {
  return {
    ...session,
    authTime: iso(session.authTime),
    createdAt: iso(session.createdAt),
    lastSeenAt: iso(session.lastSeenAt),
    expiresAt: iso(session.expiresAt),
    ...(session.mfaAt !== undefined ? { mfaAt: iso(session.mfaAt) } : {}),
    applications: session.applications.map((app) => ({
      ...app,
      firstAt: iso(app.firstAt),
      lastAt: iso(app.lastAt),
    })),
  };
}
