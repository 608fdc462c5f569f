// LDIF in both directions: parsing what ldapsearch prints, writing what ldapmodify reads.

/** An entry as ldapsearch prints it. */
export interface LdapEntry {
  dn: string;
  /** Values as printed; those printed `name:: base64` (objectGUID, non-ASCII text) stay base64. */
  attributes: Record<string, string[]>;
  /** Names of the attributes whose values are base64. */
  base64: string[];
}

/** An entry given by its DN or as a fixture object that has one. */
export type Ref = string | { dn: string };

/** The DN of an entry given either way. */
export const dnOf = (x: Ref): string => (typeof x === 'string' ? x : x.dn);

/** Parses LDIF as ldapsearch -LLL -o ldif-wrap=no prints it. */
export function parseLdif(text: string): LdapEntry[] {
  const entries: LdapEntry[] = [];
  for (const block of text.split(/\n\s*\n/)) {
    const lines = block.split('\n').filter((l) => l && !l.startsWith('#'));
    const dnLine = lines.find((l) => l.startsWith('dn:'));
    if (!dnLine) continue; // search references and paged-results controls
    const entry: LdapEntry = { dn: '', attributes: {}, base64: [] };
    for (const line of lines) {
      const m = /^([^:]+)(::?) ?(.*)$/.exec(line);
      if (!m) continue;
      const [, name = '', sep, value = ''] = m;
      if (name === 'dn') {
        entry.dn = sep === '::' ? Buffer.from(value, 'base64').toString('utf8') : value;
        continue;
      }
      if (name === 'control') continue;
      entry.attributes[name] = [...(entry.attributes[name] ?? []), value];
      if (sep === '::' && !entry.base64.includes(name)) entry.base64.push(name);
    }
    entries.push(entry);
  }
  return entries;
}

function attributeKey(entry: LdapEntry, name: string): string | undefined {
  return Object.keys(entry.attributes).find((k) => k.toLowerCase() === name.toLowerCase());
}

/** First value of an attribute of an entry (as printed), by name in any case. */
export function attr(entry: LdapEntry, name: string): string | undefined {
  const key = attributeKey(entry, name);
  return key ? entry.attributes[key]?.[0] : undefined;
}

/** All values of an attribute as text, by name in any case (base64 values decoded as UTF-8). */
export function text(entry: LdapEntry, name: string): string[] {
  const key = attributeKey(entry, name);
  if (!key) return [];
  const encoded = entry.base64.includes(key);
  return (entry.attributes[key] ?? []).map((v) => (encoded ? Buffer.from(v, 'base64').toString('utf8') : v));
}

/** The usual text form of an objectGUID given as base64 (the first three fields are little-endian). */
export function guidToString(base64: string): string {
  const b = Buffer.from(base64, 'base64');
  if (b.length !== 16) throw new Error(`an objectGUID has 16 bytes, not ${b.length}`);
  const h = (bytes: ArrayLike<number>) => Buffer.from(Array.from(bytes)).toString('hex');
  return [
    h([b[3]!, b[2]!, b[1]!, b[0]!]),
    h([b[5]!, b[4]!]),
    h([b[7]!, b[6]!]),
    h(b.subarray(8, 10)),
    h(b.subarray(10, 16)),
  ].join('-');
}

/** One LDIF line; base64 unless the value is a SAFE-STRING of RFC 2849 (here: printable ASCII only). */
export function ldifLine(name: string, value: string): string {
  return /^[\x21-\x39\x3b\x3d-\x7e][\x20-\x7e]*$/.test(value) && !value.endsWith(' ')
    ? `${name}: ${value}`
    : `${name}:: ${Buffer.from(value, 'utf8').toString('base64')}`;
}

/** The unicodePwd line that sets a password (the quoted password in UTF-16LE, base64). */
export function unicodePwd(password: string): string {
  return `unicodePwd:: ${Buffer.from(`"${password}"`, 'utf16le').toString('base64')}`;
}

/** AD time (100 ns intervals since 1601) of a date, as accountExpires or pwdLastSet take it. */
export function fileTime(date: Date): string {
  return String((BigInt(date.getTime()) + 11_644_473_600_000n) * 10_000n);
}
