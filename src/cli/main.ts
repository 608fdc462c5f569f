import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Command, CommanderError, Help, type Option } from 'commander';
import { ConfigErrors } from '../config/errors.js';
import { describeError, PassgateError } from '../errors.js';
import { PACKAGE_ROOT } from '../paths.js';
import { TOKEN_TYPES } from '../tokens/registry.js';
import type { TokenTypePlugin } from '../tokens/token-type.js';
import { registerKeyCommands } from './commands/keys.js';
import { registerLicenceCommands } from './commands/licence.js';
import { registerMigrateCommand } from './commands/migrate.js';
import { registerPolicyCommands } from './commands/policy.js';
import { registerResetCommand } from './commands/reset.js';
import { registerSessionCommands } from './commands/session.js';
import { type RunState, registerStartCommand } from './commands/start.js';
import { registerSyncCommand } from './commands/sync.js';
import { registerTokenCommands } from './commands/token.js';
import { registerTrustCommands } from './commands/trust.js';
import { registerUserCommands } from './commands/user.js';
import { type CliIo, processIo } from './io.js';

/** Exit code for a configuration error (the public contract). */
export const EXIT_CONFIG = 2;

/** The version of this installation, from its package.json. */
export function passgateVersion(): string {
  const manifest = JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as {
    version: string;
  };
  return manifest.version;
}

/** Help text of an option, saying "(required)" for an option a command cannot run without. */
function optionDescription(this: Help, option: Option): string {
  const text = Help.prototype.optionDescription.call(this, option);
  return option.mandatory ? `${text} (required)` : text;
}

/** Builds the `passgate` command tree; `token` and `policy` follow `tokenTypes` (the registry's by default). */
export function buildProgram(
  io: CliIo = processIo,
  state: RunState = { keepAlive: false },
  tokenTypes: readonly TokenTypePlugin[] = TOKEN_TYPES,
): Command {
  const program = new Command('passgate')
    .description('Passgate identity provider')
    .version(passgateVersion(), '-V, --version', 'print the version of Passgate')
    // Inherited by every command registered below.
    .configureHelp({ optionDescription })
    .option(
      '-c, --config <file>',
      'YAML configuration file (default: $PASSGATE_CONFIG, else built-in defaults)',
    )
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    });
  registerStartCommand(program, io, state);
  registerMigrateCommand(program, io);
  registerUserCommands(program, io);
  registerKeyCommands(program, io);
  registerTokenCommands(program, io, tokenTypes);
  registerPolicyCommands(program, io, tokenTypes);
  registerSyncCommand(program, io);
  registerResetCommand(program, io);
  registerTrustCommands(program, io);
  registerSessionCommands(program, io);
  registerLicenceCommands(program, io);
  return program;
}

/**
 * Runs the CLI and returns the process exit code: 0 on success, 2 for a configuration error
 * (one line naming the key), 1 for any other failure (one line, no stack trace); null when a
 * server was started and the process must keep running.
 */
export async function main(
  argv: string[],
  io: CliIo = processIo,
  tokenTypes: readonly TokenTypePlugin[] = TOKEN_TYPES,
): Promise<number | null> {
  const state: RunState = { keepAlive: false };
  const program = buildProgram(io, state, tokenTypes);
  try {
    await program.parseAsync(argv);
    return state.keepAlive ? null : 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (ConfigErrors.is(error)) {
      // One line per problem, so that every problem of the file is fixed in one pass.
      for (const line of error.message.split('\n'))
        io.stderr.write(`passgate: configuration error: ${line}\n`);
      return EXIT_CONFIG;
    }
    const message = error instanceof PassgateError ? error.message : describeError(error);
    io.stderr.write(`passgate: ${message}\n`);
    return 1;
  }
}
