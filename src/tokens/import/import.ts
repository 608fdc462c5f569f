import type { AuditRepository } from '../../store/repositories/audit.js';
import type { NewToken, TokensRepository } from '../../store/repositories/tokens.js';
import type { User, UsersRepository } from '../../store/repositories/users.js';
import { oathToken } from '../enrol.js';
import type { ImportProblem, ImportRead } from './entry.js';
import { ImportErrors } from './errors.js';
import { Owners } from './owners.js';

/** What an import needs of the store. */
export interface ImportStore {
  users: Pick<UsersRepository, 'findByUsername'>;
  tokens: Pick<TokensRepository, 'existingSerials' | 'createMany'>;
  audit: Pick<AuditRepository, 'record'>;
}

/** Options of an import. */
export interface ImportOptions {
  /** Owner of every token in the file, whatever the file says. */
  user?: string;
  /** Check everything, import nothing. */
  dryRun?: boolean;
  /** Recorded in the audit event (`cli`, `admin`). */
  via?: string;
}

/** What was (or, in a dry run, would be) imported. */
export interface ImportSummary {
  tokens: number;
  hotp: number;
  totp: number;
  users: number;
  ids: string[];
  /** Parts of the file left out on purpose, "KeyPackage 2: PIN key skipped ...". */
  notes: string[];
}

/** One entry of a file as the import sees it: the token it would create, or why not. */
export interface PlannedEntry {
  where: string;
  serial: string | undefined;
  /** The owner's user name (as found in the store, else as the file names it). */
  owner: string | undefined;
  type: 'hotp' | 'totp' | undefined;
  /** Its serial is in the file twice or already enrolled. */
  duplicate: boolean;
  /** Empty when the entry would be imported. */
  problems: string[];
}

/** What an import of a file would do: the tokens, every entry's verdict, and the problems. */
export interface ImportPlan {
  tokens: NewToken[];
  problems: ImportProblem[];
  entries: PlannedEntry[];
  /** What importing `tokens` creates (the import itself returns this same summary). */
  summary: ImportSummary;
}

/** At most this many problems are listed; the rest are counted. */
const LISTED = 20;
/** Serials per existence query, well under every backend's limit of bound parameters. */
const SERIALS_PER_QUERY = 500;

/**
 * Checks every entry of a file against the store (owners, serials in the file and already
 * enrolled) and returns the tokens to create, or every problem found.
 */
export async function planImport(
  store: ImportStore,
  read: ImportRead,
  options: ImportOptions = {},
): Promise<ImportPlan> {
  const problems = [...read.problems];
  const owners = new Owners(store.users);
  const forced = options.user === undefined ? undefined : await owners.resolve(options.user);
  if (options.user !== undefined && !forced)
    problems.push({ where: '--user', message: `no user "${options.user}"` });
  const enrolled = await existingSerials(store, read);
  const seen = new Map<string, string>();
  const tokens: NewToken[] = [];
  const entries: PlannedEntry[] = [];
  for (const entry of read.entries) {
    const entryProblems = [...entry.problems];
    let owner: User | undefined = forced;
    if (options.user === undefined && !entry.username) {
      entryProblems.push('no owner: name one in the file (UserId, user column) or with --user');
    } else if (options.user === undefined && entry.username) {
      owner = await owners.resolve(entry.username);
      if (!owner) entryProblems.push(`no user "${entry.username}"`);
    }
    let duplicate = false;
    if (entry.serial !== undefined) {
      const first = seen.get(entry.serial);
      if (first) entryProblems.push(`serial ${entry.serial} is also in ${first}`);
      else seen.set(entry.serial, entry.where);
      if (enrolled.has(entry.serial)) entryProblems.push(`serial ${entry.serial} is already enrolled`);
      duplicate = first !== undefined || enrolled.has(entry.serial);
    }
    for (const message of entryProblems) problems.push({ where: entry.where, message });
    entries.push({
      where: entry.where,
      serial: entry.serial,
      owner: owner?.username ?? entry.username,
      type: entry.settings?.type,
      duplicate,
      problems: entryProblems,
    });
    if (entryProblems.length === 0 && entry.settings && owner) {
      const { settings } = entry;
      tokens.push(
        oathToken({
          ...settings,
          userId: owner.id,
          label: owner.username,
          hardware: true,
          serial: entry.serial,
        }),
      );
    }
  }
  if (read.entries.length === 0 && problems.length === 0) {
    problems.push({ where: 'file', message: 'no tokens in the file' });
  }
  return { tokens, problems, entries, summary: summarise(tokens, read) };
}

/**
 * Imports the tokens of a read file: all of them in one transaction, or none when any entry has
 * a problem (IMPORT_REJECTED, whose message lists the problems one per line). Secrets are sealed
 * by the repository; neither they nor anything derived from them is logged or audited.
 */
export async function importTokens(
  store: ImportStore,
  read: ImportRead,
  options: ImportOptions = {},
): Promise<ImportSummary> {
  const { tokens, problems, summary } = await planImport(store, read, options);
  if (problems.length > 0) throw ImportErrors.IMPORT_REJECTED({ detail: describeProblems(problems) });
  if (options.dryRun) return summary;
  await store.tokens.createMany(tokens);
  await store.audit.record({
    type: 'admin.token.import',
    outcome: 'success',
    details: {
      via: options.via ?? 'cli',
      format: read.format,
      tokens: summary.tokens,
      hotp: summary.hotp,
      totp: summary.totp,
      users: summary.users,
    },
  });
  return summary;
}

/** "nothing was imported; 3 problems:" and one line per problem, at most 20 listed. */
export function describeProblems(problems: readonly ImportProblem[]): string {
  const lines = problems.slice(0, LISTED).map((p) => `  ${p.where}: ${p.message}`);
  if (problems.length > LISTED) lines.push(`  and ${problems.length - LISTED} more`);
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  return [`nothing was imported; ${count}:`, ...lines].join('\n');
}

/** "Imported 3 tokens (2 HOTP, 1 TOTP) for 2 users." */
export function describeSummary(summary: ImportSummary, dryRun = false): string {
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const kinds = [
    summary.hotp > 0 ? `${summary.hotp} HOTP` : '',
    summary.totp > 0 ? `${summary.totp} TOTP` : '',
  ].filter(Boolean);
  const what = `${plural(summary.tokens, 'token')} (${kinds.join(', ')}) for ${plural(summary.users, 'user')}`;
  const line = dryRun ? `Checked ${what}; nothing imported (dry run).` : `Imported ${what}.`;
  return [line, ...summary.notes.map((note) => `  ${note}`)].join('\n');
}

function summarise(tokens: readonly NewToken[], read: ImportRead): ImportSummary {
  return {
    tokens: tokens.length,
    hotp: tokens.filter((t) => t.type === 'hotp').length,
    totp: tokens.filter((t) => t.type === 'totp').length,
    users: new Set(tokens.map((t) => t.userId)).size,
    ids: tokens.map((t) => t.id),
    notes: read.notes.map((n) => `${n.where}: ${n.message}`),
  };
}

async function existingSerials(store: ImportStore, read: ImportRead): Promise<Set<string>> {
  const serials = [...new Set(read.entries.flatMap((e) => (e.serial === undefined ? [] : [e.serial])))];
  const found = new Set<string>();
  for (let i = 0; i < serials.length; i += SERIALS_PER_QUERY) {
    for (const serial of await store.tokens.existingSerials(serials.slice(i, i + SERIALS_PER_QUERY))) {
      found.add(serial);
    }
  }
  return found;
}
