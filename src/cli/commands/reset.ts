import path from 'node:path';
import type { Command } from 'commander';
import { maskDestination } from '../../dispatch/mask.js';
import { dueReminders } from '../../doors/reset/reminders.js';
import { PACKAGE_ROOT } from '../../paths.js';
import { issuerOf } from '../../server/sessions.js';
import { loadTranslations } from '../../web/i18n.js';
import { type GlobalOptions, say, withCore } from '../context.js';
import type { CliIo } from '../io.js';

/** `passgate reset reminders --dry-run`: the password-expiry reminders due now, without sending them. */
export function registerResetCommand(program: Command, io: CliIo): void {
  const reset = program.command('reset').description('Password reset sites (docs/reset.md)');
  reset
    .command('reminders')
    .description(
      'List the password-expiry reminders due now for the sites with `reminders` (the server sends them on its schedule)',
    )
    .requiredOption('--dry-run', 'list them without sending (required: sending is the server scheduler’s)')
    .option('--json', 'print JSON')
    .action(async (options: { dryRun: boolean; json?: boolean }) => {
      await withCore(program.opts<GlobalOptions>(), async (core) => {
        const { config } = core;
        const translations = await loadTranslations(
          path.join(PACKAGE_ROOT, 'locales'),
          config.i18n.defaultLanguage,
        );
        const due = await dueReminders(
          {
            directories: core.directories,
            reminders: core.repositories.passwordReminders,
            clock: core.clock,
            publicUrl: issuerOf(config),
            languages: translations.languages,
            defaultLanguage: translations.defaultLanguage,
          },
          config.reset.sites,
        );
        const rows = due.map((r) => ({
          site: r.site,
          directory: r.directory,
          username: r.username,
          expiresAt: new Date(r.expiresAt).toISOString(),
          daysBefore: r.daysBefore,
          language: r.language,
          to: r.to.map((t) => `${t.channel} ${maskDestination(t.to)}`),
          status: r.sent ? 'already sent' : 'due',
        }));
        if (options.json) return say(io, JSON.stringify(rows, null, 2));
        if (rows.length === 0) return say(io, 'No reminder is due.');
        for (const row of rows)
          say(
            io,
            `${row.site}  ${row.username}  expires ${row.expiresAt.slice(0, 10)}  ${row.daysBefore}-day reminder  ${row.language}  ${row.to.join(', ') || 'no address'}  ${row.status}`,
          );
        say(io, `${rows.length} reminder(s); ${rows.filter((r) => r.status === 'due').length} not sent yet.`);
      });
    });
}
