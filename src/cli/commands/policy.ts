import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parse as parseYaml, stringify } from 'yaml';
import { POLICY_KIND_NAMES } from '../../policy/kinds.js';
import { administratorPolicyStore, type PolicySet, type PolicyStore } from '../../policy/policy-store.js';
import type { Core } from '../../server/core.js';
import { TOKEN_TYPES } from '../../tokens/registry.js';
import type { TokenTypePlugin } from '../../tokens/token-type.js';
import { type GlobalOptions, say, withCore } from '../context.js';
import type { CliIo } from '../io.js';
import { registerPolicyTestCommand } from './policy-test.js';

const KINDS = POLICY_KIND_NAMES.join(', ');

/**
 * `passgate policy list|show|set|remove|export|import|test`: administrator policies in the
 * database; Token Policies are checked against `tokenTypes` (the registry's by default).
 */
export function registerPolicyCommands(
  program: Command,
  io: CliIo,
  tokenTypes: readonly TokenTypePlugin[] = TOKEN_TYPES,
): void {
  const policy = program
    .command('policy')
    .description(`Manage policies stored in the database (kinds: ${KINDS})`);
  const globals = () => program.opts<GlobalOptions>();
  const withPolicies = <T>(run: (store: PolicyStore, core: Core) => Promise<T>) =>
    withCore(globals(), (core) => run(administratorPolicyStore(core), core), tokenTypes);

  policy
    .command('list [kind]')
    .description('List policies, of one kind or of all kinds')
    .action(async (kind: string | undefined) => {
      await withPolicies(async (store) => {
        let any = false;
        for (const k of kind ? [kind] : POLICY_KIND_NAMES) {
          for (const p of await store.list(k)) {
            any = true;
            const title = (p.document as { displayName?: string }).displayName;
            say(io, `${k.padEnd(15)} ${p.name}${title ? `  (${title})` : ''}`);
          }
        }
        if (!any) say(io, 'No policies.');
      });
    });

  policy
    .command('show <kind> <name>')
    .description('Print one policy as YAML, with its defaults')
    .action(async (kind: string, name: string) => {
      await withPolicies(async (store) => io.stdout.write(stringify((await store.get(kind, name)).document)));
    });

  policy
    .command('set <kind> <name>')
    .description('Create or replace a policy from a YAML document (--file, or standard input)')
    .option('--file <file>', 'YAML document of the policy')
    .action(async (kind: string, name: string, options: { file?: string }) => {
      const document = parseYaml(await readInput(io, options.file)) as unknown;
      await withPolicies(async (store, core) => {
        await store.put(kind, name, document ?? {});
        await core.audit.record({
          type: 'admin.policy.set',
          outcome: 'success',
          details: { kind, name, via: 'cli' },
        });
        say(io, `Policy ${kind} ${name} saved.`);
      });
    });

  policy
    .command('remove <kind> <name>')
    .description('Delete a policy')
    .action(async (kind: string, name: string) => {
      await withPolicies(async (store, core) => {
        await store.remove(kind, name);
        await core.audit.record({
          type: 'admin.policy.remove',
          outcome: 'success',
          details: { kind, name, via: 'cli' },
        });
        say(io, `Policy ${kind} ${name} removed.`);
      });
    });

  policy
    .command('export [kinds...]')
    .description('Print policies as one YAML document (kind → name → policy), ready for `policy import`')
    .action(async (kinds: string[]) => {
      await withPolicies(async (store) =>
        io.stdout.write(stringify(await store.exportSet(kinds.length > 0 ? kinds : undefined))),
      );
    });

  policy
    .command('import <file>')
    .description(
      'Replace every policy of the kinds in a YAML document written by `policy export`; all or nothing',
    )
    .action(async (file: string) => {
      const set = (parseYaml(readFileSync(file, 'utf8')) ?? {}) as PolicySet;
      await withPolicies(async (store, core) => {
        const count = await store.importSet(set);
        await core.audit.record({
          type: 'admin.policy.import',
          outcome: 'success',
          details: { kinds: Object.keys(set), count, via: 'cli' },
        });
        say(io, `Imported ${count} ${count === 1 ? 'policy' : 'policies'} (${Object.keys(set).join(', ')}).`);
      });
    });

  registerPolicyTestCommand(policy, globals, io);
}

async function readInput(io: CliIo, file: string | undefined): Promise<string> {
  if (file) return readFileSync(file, 'utf8');
  let text = '';
  for await (const chunk of io.stdin) text += chunk.toString();
  return text;
}
