import type { Command } from 'commander';
import { OIDC_ALGORITHMS, OIDC_KEY_PURPOSE } from '../../protocols/oidc/keys.js';
import { type GlobalOptions, say, withCore } from '../context.js';
import type { CliIo } from '../io.js';

/** `passgate keys rotate|list`: signing keys. */
export function registerKeyCommands(program: Command, io: CliIo): void {
  const keys = program.command('keys').description('Manage signing keys');
  const globals = () => program.opts<GlobalOptions>();

  keys
    .command('rotate')
    .description(
      'Create new OIDC signing keys; the old ones stop signing now and stay published until the tokens they signed expire. ' +
        'Running servers pick the change up within oidc.keyRefreshSeconds.',
    )
    .action(async () => {
      await withCore(globals(), async (core) => {
        const retainMs = (core.config.oidc.idTokenTtlSeconds + 300) * 1000;
        const { created, retired } = await core.keys.rotate(OIDC_KEY_PURPOSE, OIDC_ALGORITHMS, retainMs);
        await core.audit.record({
          type: 'admin.keys.rotate',
          outcome: 'success',
          details: { created, retired, via: 'cli' },
        });
        say(io, `New signing keys: ${created.join(', ')}`);
        if (retired.length > 0) {
          say(
            io,
            `Retired (published until ${new Date(core.clock() + retainMs).toISOString()}): ${retired.join(', ')}`,
          );
        }
      });
    });

  keys
    .command('list')
    .description('List OIDC signing keys')
    .action(async () => {
      await withCore(globals(), async (core) => {
        const now = core.clock();
        for (const key of await core.keys.list(OIDC_KEY_PURPOSE)) {
          const state =
            key.retiredAt === null
              ? 'current'
              : (key.publishUntil ?? 0) > now
                ? `retired, published until ${new Date(key.publishUntil!).toISOString()}`
                : 'retired, no longer published';
          say(io, `${key.alg.padEnd(6)} ${key.kid}  ${state}`);
        }
      });
    });
}
