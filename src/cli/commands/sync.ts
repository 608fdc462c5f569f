import { Presets, SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { ConfigErrors } from '../../config/errors.js';
import type { SyncSummary } from '../../directory/ad/sync.js';
import { describeError, PassgateError } from '../../errors.js';
import { type GlobalOptions, say, withCore } from '../context.js';
import type { CliIo } from '../io.js';

/** `passgate sync [--full] [--directory NAME]`: import users from Active Directory now. */
export function registerSyncCommand(program: Command, io: CliIo): void {
  program
    .command('sync')
    .description(
      'Import users from Active Directory: incremental (what changed since the last run), or --full (everyone; marks users no longer in scope)',
    )
    .option('--full', 'read every user in scope and mark the ones not found as removed')
    .option(
      '--directory <name>',
      'the AD directory to synchronise (default, or a key of directories)',
      'default',
    )
    .action(async (options: { full?: boolean; directory: string }) => {
      await withCore(program.opts<GlobalOptions>(), async (core) => {
        const sync = core.adSyncs.get(options.directory);
        if (!sync) {
          throw ConfigErrors.CONFIG_INVALID({
            detail:
              options.directory === 'default'
                ? 'directory.type: sync needs directory.type: ad'
                : `--directory ${options.directory}: no AD directory of that name in directories`,
          });
        }
        const full = options.full ?? (await sync.fullDue());
        const bar = new SingleBar(
          {
            stream: io.stderr as NodeJS.WriteStream,
            format: 'Synchronising {bar} {value}/{total} users {duration}s',
            noTTYOutput: false,
          },
          Presets.shades_classic,
        );
        bar.start(0, 0);
        let summary: SyncSummary;
        try {
          summary = await sync.run({
            full,
            // A full run expects about as many users as Passgate knows; an incremental one, what comes.
            onProgress: (seen, expected) => {
              bar.setTotal(Math.max(seen, expected));
              bar.update(seen);
            },
          });
        } catch (error) {
          await core.audit
            .record({
              type: 'directory.sync',
              outcome: 'failure',
              reason: error instanceof PassgateError ? error.code : 'INTERNAL',
              details: { full, via: 'cli', error: describeError(error) },
            })
            .catch(() => {});
          throw error;
        } finally {
          bar.stop();
        }
        await core.audit.record({
          type: 'directory.sync',
          outcome: 'success',
          details: { ...summary, problems: summary.problems.length, via: 'cli' },
        });
        for (const problem of summary.problems.slice(0, 20)) {
          io.stderr.write(
            `warning: ${problem.dn}: ${problem.attribute} "${problem.value}" ${problem.reason}\n`,
          );
        }
        if (summary.problems.length > 20)
          io.stderr.write(`warning: and ${summary.problems.length - 20} more\n`);
        say(
          io,
          `${summary.full ? 'Full' : 'Incremental'} sync: ${summary.seen} users read in ${(summary.durationMs / 1000).toFixed(1)} s — ` +
            `created ${summary.created}, updated ${summary.updated}, disabled ${summary.disabled}, removed ${summary.removed}` +
            (summary.problems.length ? `, ${summary.problems.length} invalid values (see warnings)` : '') +
            '.',
        );
        for (const pool of summary.seats ?? [])
          say(
            io,
            `Seat rules (${pool.pool}): ${pool.members} members, ${pool.allocated} seats given, ${pool.released} taken back` +
              (pool.withoutSeat ? `, ${pool.withoutSeat} left without a seat: the pool is full` : '') +
              '.',
          );
      });
    });
}
