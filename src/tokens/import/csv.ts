import { CsvError, type InfoRecord, parse } from 'csv-parse/sync';
import { parseSecret } from '../secrets.js';
import { checkSettings, type ImportEntry, type ImportRead, oathAlgorithm, reason } from './entry.js';

/** How a secret in a CSV file is written. */
export type SecretEncoding = 'auto' | 'hex' | 'base32';

/** Options of the CSV reader. */
export interface CsvOptions {
  /** Name of the column that holds the owner's user name (default `user`). */
  userColumn?: string;
  /** Default `auto`: hex or base32, whichever the secret can only be. */
  secretEncoding?: SecretEncoding;
}

const REQUIRED = ['serial', 'secret', 'type'] as const;
const OPTIONAL = ['digits', 'step', 'period', 'algorithm', 'counter', 'description'] as const;

type Row = Record<string, string | undefined>;
/** A record as csv-parse gives it with `info: true`. */
type Parsed = { record: string[]; info: InfoRecord };

/**
 * Reads hardware tokens from CSV: a header row naming the columns (serial, secret, type, and
 * optionally digits, step, user, algorithm, counter, description), then one token per row. Quotes,
 * a byte-order mark, blank lines and lines starting with # are handled by csv-parse; problems are
 * reported by line number.
 */
export function readCsv(text: string, options: CsvOptions = {}): ImportRead {
  const read: ImportRead = { format: 'csv', entries: [], problems: [], notes: [] };
  let records: Parsed[];
  try {
    records = parse(text, {
      bom: true,
      comment: '#',
      comment_no_infix: true,
      skip_empty_lines: true,
      trim: true,
      relax_column_count: true,
      info: true,
    }) as unknown as Parsed[];
  } catch (error) {
    if (!(error instanceof CsvError)) throw error;
    const line = (error as CsvError & { lines?: number }).lines;
    read.problems.push({ where: line ? `line ${line}` : 'file', message: error.message });
    return read;
  }
  const lineOf = (r: Parsed) =>
    r.info.lines - r.record.reduce((n, field) => n + (field.match(/\r\n|\r|\n/g)?.length ?? 0), 0);
  const [header, ...rows] = records;
  if (!header) {
    read.problems.push({ where: 'file', message: 'no header row (serial,secret,type,...)' });
    return read;
  }
  const userColumn = (options.userColumn ?? 'user').toLowerCase();
  const names = header.record.map((name) => name.toLowerCase());
  const known = new Set<string>([...REQUIRED, ...OPTIONAL, userColumn]);
  const unknown = names.filter((name) => !known.has(name));
  const missing = REQUIRED.filter((name) => !names.includes(name));
  const duplicated = names.filter((name, i) => names.indexOf(name) !== i);
  const where = `line ${lineOf(header)} (header)`;
  if (unknown.length > 0)
    read.problems.push({
      where,
      message: `unknown column(s) ${unknown.join(', ')} (known: ${[...known].join(', ')})`,
    });
  if (missing.length > 0) read.problems.push({ where, message: `missing column(s) ${missing.join(', ')}` });
  if (duplicated.length > 0)
    read.problems.push({ where, message: `column(s) ${duplicated.join(', ')} given twice` });
  if (read.problems.length > 0) return read;
  for (const r of rows) {
    if (r.record.every((field) => field === '')) continue;
    const entry = readRow(r.record, names, `line ${lineOf(r)}`, userColumn, options.secretEncoding ?? 'auto');
    read.entries.push(entry);
  }
  return read;
}

function readRow(
  fields: string[],
  names: string[],
  where: string,
  userColumn: string,
  encoding: SecretEncoding,
): ImportEntry {
  const row: Row = Object.fromEntries(names.map((name, i) => [name, fields[i] || undefined]));
  const problems: string[] = [];
  const entry: ImportEntry = {
    where,
    serial: row.serial,
    username: row[userColumn],
    settings: undefined,
    problems,
  };
  if (fields.length !== names.length) {
    problems.push(`${fields.length} fields where the header has ${names.length}`);
    return entry;
  }
  if (!row.serial) problems.push('no serial');
  const type = row.type?.toLowerCase();
  if (type !== 'hotp' && type !== 'totp') problems.push(`type "${row.type ?? ''}" must be hotp or totp`);
  const secret = row.secret ? decodeSecret(row.secret, encoding, problems) : undefined;
  if (!row.secret) problems.push('no secret');
  const digits = integer(row.digits, 'digits', 6, problems);
  const period = integer(row.step ?? row.period, 'step', 30, problems);
  const counter = integer(row.counter, 'counter', 0, problems);
  const algorithm = row.algorithm ? oathAlgorithm(row.algorithm) : 'SHA1';
  if (!algorithm) problems.push(`algorithm "${row.algorithm}" must be SHA1, SHA256 or SHA512`);
  checkSettings({ digits, ...(algorithm ? { algorithm } : {}), period, counter }, problems);
  const complete =
    secret && algorithm && digits !== undefined && period !== undefined && counter !== undefined;
  if (problems.length === 0 && complete && (type === 'hotp' || type === 'totp')) {
    entry.settings = {
      type,
      secret,
      algorithm,
      digits,
      ...(type === 'hotp' ? { counter } : { period }),
      description: row.description ?? null,
    };
  }
  return entry;
}

/** The secret's bytes, from hex or base32; `auto` refuses a secret that could be either. */
function decodeSecret(text: string, encoding: SecretEncoding, problems: string[]): Uint8Array | undefined {
  let chosen = encoding;
  if (chosen === 'auto') {
    const cleaned = text.replace(/[\s-]/g, '').replace(/=+$/, '');
    const hex = /^([0-9a-f]{2})+$/i.test(cleaned);
    const base32 = /^[a-z2-7]+$/i.test(cleaned);
    if (hex && base32) {
      problems.push('the secret could be hex or base32; say which with --secret-encoding');
      return undefined;
    }
    if (!hex && !base32) {
      problems.push('the secret is neither hexadecimal nor base32');
      return undefined;
    }
    chosen = hex ? 'hex' : 'base32';
  }
  try {
    return parseSecret(text, chosen);
  } catch (error) {
    problems.push(reason(error));
    return undefined;
  }
}

function integer(text: string | undefined, name: string, fallback: number, problems: string[]) {
  if (text === undefined) return fallback;
  if (/^\d{1,15}$/.test(text)) return Number(text);
  problems.push(`${name} "${text}" is not a whole number`);
  return undefined;
}
