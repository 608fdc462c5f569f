/**
 * Generates docs/cli.md from the commander definitions (src/cli/), the one place where commands,
 * arguments and options are declared. `--check` fails when the file is out of date.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Argument, Command, Option } from 'commander';
import { buildProgram } from '../src/cli/main.js';
import { PACKAGE_ROOT } from '../src/paths.js';

/** Where the reference is written. */
export const CLI_DOCS_PATH = path.join(PACKAGE_ROOT, 'docs', 'cli.md');

/** The topic page that explains a top-level command, linked from its section. */
const GUIDES: Record<string, { title: string; page: string }> = {
  start: { title: 'Operations', page: 'operations.md#deployment' },
  migrate: { title: 'Operations', page: 'operations.md#deployment' },
  user: { title: 'Quick start', page: '../README.md#quick-start' },
  keys: { title: 'Operations: keys', page: 'operations.md#keys' },
  token: { title: 'Second factors', page: 'second-factors.md' },
  policy: { title: 'Policies', page: 'policies.md' },
  sync: { title: 'Active Directory: synchronisation', page: 'active-directory.md#synchronisation' },
  trust: { title: 'Policies: learned trusted addresses', page: 'policies.md#learned-trusted-addresses' },
};

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n+/g, ' ');

/** The full name of a command as typed after `passgate`, e.g. `token add`. */
function nameOf(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

function argumentLabel(argument: Argument): string {
  const name = `${argument.name()}${argument.variadic ? '...' : ''}`;
  return argument.required ? `<${name}>` : `[${name}]`;
}

function defaultOf(value: unknown): string {
  if (value === undefined) return '—';
  return `\`${Array.isArray(value) ? value.join(' ') : String(value)}\``;
}

function optionRow(option: Option): string {
  const description = option.description.trim();
  const notes = [
    option.argChoices && description && !/[.!?]$/.test(description) ? `${description}.` : description,
    option.argChoices ? `One of ${option.argChoices.map((c) => `\`${c}\``).join(', ')}.` : '',
    option.variadic && !/repeat/i.test(option.description) ? 'Repeatable.' : '',
  ].filter(Boolean);
  return `| \`${option.flags}\` | ${option.mandatory ? 'yes' : 'no'} | ${defaultOf(option.defaultValue)} | ${cell(notes.join(' '))} |`;
}

function optionsTable(options: readonly Option[]): string[] {
  const visible = options.filter((o) => !o.hidden);
  if (visible.length === 0) return [];
  return [
    '| Option | Required | Default | Meaning |',
    '| --- | --- | --- | --- |',
    ...visible.map(optionRow),
    '',
  ];
}

function commandSection(command: Command, depth: number): string[] {
  const name = nameOf(command);
  const args = command.registeredArguments;
  const hasOptions = command.options.some((o) => !o.hidden);
  const usage = [
    'passgate',
    name,
    command.commands.length ? '<command>' : '',
    hasOptions ? '[options]' : '',
    ...args.map(argumentLabel),
  ]
    .filter(Boolean)
    .join(' ');
  const lines = [`${'#'.repeat(depth)} \`${name}\``, '', command.description(), ''];
  const guide = GUIDES[name];
  if (guide) lines.push(`Guide: [${guide.title}](${guide.page}).`, '');
  if (command.commands.length === 0 || args.length || hasOptions) lines.push(`\`${usage}\``, '');
  if (args.some((a) => a.description)) {
    lines.push(
      '| Argument | Required | Meaning |',
      '| --- | --- | --- |',
      ...args.map(
        (a) => `| \`${argumentLabel(a)}\` | ${a.required ? 'yes' : 'no'} | ${cell(a.description || '—')} |`,
      ),
      '',
    );
  }
  lines.push(...optionsTable(command.options));
  if (command.commands.length) {
    lines.push(
      ...command.commands.map((c) => `- [\`${nameOf(c)}\`](#${anchorOf(nameOf(c))}): ${firstSentence(c)}`),
    );
    lines.push('');
    for (const sub of command.commands) lines.push(...commandSection(sub, depth + 1));
  }
  return lines;
}

/** The anchor GitHub gives a heading made of a code span, e.g. `token add` → token-add. */
function anchorOf(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9 -]/g, '')
    .replace(/ /g, '-');
}

/** The description up to its first full stop or semicolon outside parentheses, for the indexes. */
function firstSentence(command: Command): string {
  const text = command.description();
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')') depth--;
    else if (depth === 0 && (text[i] === '.' || text[i] === ';') && /\s/.test(text[i + 1] ?? ' '))
      return text.slice(0, i);
  }
  return text;
}

/** Renders the reference of a command tree as Markdown. */
export function renderCliReference(program: Command): string {
  const lines = [
    '# CLI reference',
    '',
    '<!-- Generated by `npm run docs:cli` from the commander definitions in src/cli/. Do not edit by hand. -->',
    '',
    'Run `npx passgate [--config FILE] <command>` (in the Docker image: `passgate <command>`). Every',
    'command accepts `--help`. The exit codes are 0 for success, 1 for a failure and 2 for a',
    'configuration error. Passwords, token seeds and pre-shared keys are read from a prompt or from',
    'standard input, never from the command line (except `token add --secret`, for scripted test seeds).',
    '',
    '## Global options',
    '',
    ...optionsTable(program.options),
    '## Commands',
    '',
    ...program.commands.map((c) => `- [\`${nameOf(c)}\`](#${anchorOf(nameOf(c))}): ${firstSentence(c)}`),
    '',
  ];
  for (const command of program.commands) lines.push(...commandSection(command, 2));
  return `${lines.join('\n').trimEnd()}\n`;
}

function run(): void {
  const text = renderCliReference(buildProgram());
  if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(CLI_DOCS_PATH, 'utf8');
    } catch {}
    if (current !== text) {
      console.error('docs/cli.md is out of date with the commands in src/cli/: run `npm run docs:cli`');
      process.exit(1);
    }
  } else {
    writeFileSync(CLI_DOCS_PATH, text);
    console.log(`wrote ${path.relative(process.cwd(), CLI_DOCS_PATH)}`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) run();
