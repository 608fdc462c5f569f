// A store of many users for the users grid's tests and benchmark: deterministic people (names,
// e-mail, mobile, groups, sources, states) and tokens, written with one multi-row insert per
// batch in a transaction, search terms included (through the store's own term writer).
import { randomUUID } from 'node:crypto';
import type { Insertable, Kysely, Selectable } from 'kysely';
import { insertSearchTerms } from '../../src/store/repositories/search-terms.js';
import type { Tables, TokenRow, UserRow } from '../../src/store/tables.js';

const FIRST = [
  'Anna',
  'Bruno',
  'Chloé',
  'David',
  'Emma',
  'Farid',
  'Greta',
  'Hugo',
  'Ines',
  'Jonas',
  'Karin',
  'Liam',
  'Mia',
  'Noah',
  'Olga',
  'Pablo',
  'Quinn',
  'Rosa',
  'Sven',
  'Tara',
  'Ugo',
  'Vera',
  'Wim',
  'Xenia',
  'Yusuf',
  'Zoe',
];
const LAST = [
  'Berg',
  'Costa',
  'Dubois',
  'Eriksen',
  'Fischer',
  'Garcia',
  'Hansen',
  'Ivanov',
  'Jensen',
  'Klein',
  'Larsen',
  'Moreau',
  'Novak',
  'Olsen',
  'Petit',
  'Rossi',
  'Schmidt',
  'Tanaka',
  'Vogel',
  'Weber',
  'Young',
  'Zimmer',
];
const DOMAINS = ['example.test', 'corp.example.test', 'mail.example.test', 'eu.example.test'];
/** Group names, some with LIKE wildcards and punctuation in them. */
export const GRID_GROUPS = [
  'Sales',
  'VPN Users',
  'Finance-EU',
  'R&D',
  '100%_Club',
  'Helpdesk',
  'Office 365',
  'Contractors',
  'HR',
  'Legal_Team',
];

/** What a seeded user's tokens are (decided from their index). */
export type SeededFactor = 'active' | 'disabled' | 'pending' | 'locked' | 'none';

/** A deterministic pseudo-random number in [0, 1) for (i, salt). */
function rand(i: number, salt: number): number {
  let x = (i + 1) * 2654435761 + salt * 40503;
  x = Math.imul(x ^ (x >>> 16), 0x45d9f3b);
  x = Math.imul(x ^ (x >>> 16), 0x45d9f3b);
  return ((x ^ (x >>> 16)) >>> 0) / 2 ** 32;
}

const pick = <T>(list: readonly T[], i: number, salt: number): T =>
  list[Math.floor(rand(i, salt) * list.length)]!;

/** The i-th seeded user (ASCII except some display names, so byte order and lower() agree everywhere). */
export function gridUser(i: number, prefix: string, t0: number): Selectable<UserRow> {
  const first = pick(FIRST, i, 1);
  const last = pick(LAST, i, 2);
  const username = `${prefix}${first.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase()}.${last.toLowerCase()}${i}`;
  const local = rand(i, 3) < 0.2;
  const groups = GRID_GROUPS.filter((_, g) => rand(i, 10 + g) < 0.15);
  const removed = !local && rand(i, 4) < 0.02;
  return {
    id: randomUUID(),
    username,
    display_name: rand(i, 5) < 0.05 ? null : `${first} ${last}`,
    email: rand(i, 6) < 0.1 ? null : `${username}@${pick(DOMAINS, i, 7)}`,
    mobile:
      rand(i, 8) < 0.3
        ? null
        : `+33 6 ${String(10_000_000 + Math.floor(rand(i, 9) * 89_999_999)).replace(/(\d\d)(?=\d)/g, '$1 ')}`,
    groups: JSON.stringify(groups),
    disabled: rand(i, 20) < 0.05 ? 1 : 0,
    password_hash: null,
    source: local ? 'local' : 'ad',
    created_at: t0 + Math.floor(rand(i, 21) * 1_000_000_000),
    updated_at: t0,
    external_id: local ? null : randomUUID(),
    dn: local ? null : `CN=${first} ${last} ${i},OU=People,DC=example,DC=test`,
    attributes: '{}',
    synced_at: local ? null : t0 + Math.floor(rand(i, 22) * 1_000_000),
    removed_at: removed ? t0 + 5_000 : null,
  };
}

/** The seat pools the i-th seeded user holds: most an MFA seat, few a reset seat. */
export function gridSeats(i: number): string[] {
  return [...(rand(i, 40) < 0.6 ? ['mfa'] : []), ...(rand(i, 41) < 0.1 ? ['reset'] : [])];
}

/** The tokens the i-th seeded user has. */
export function gridFactor(i: number): SeededFactor {
  const r = rand(i, 30);
  return r < 0.35 ? 'active' : r < 0.4 ? 'disabled' : r < 0.43 ? 'pending' : r < 0.45 ? 'locked' : 'none';
}

function tokenOf(userId: string, factor: Exclude<SeededFactor, 'none'>, t0: number): Insertable<TokenRow> {
  return {
    id: randomUUID(),
    user_id: userId,
    type: 'totp',
    serial: null,
    description: null,
    hardware: 0,
    algorithm: 'sha1',
    digits: 6,
    period: 30,
    counter: 0,
    drift: 0,
    last_step: null,
    secret: null,
    destination: null,
    status: factor === 'locked' ? 'active' : factor,
    failures: factor === 'locked' ? 5 : 0,
    last_failure_at: null,
    // Locked for a day after t0 (the test clocks sit at t0); unlocked tokens have no lock.
    locked_until: factor === 'locked' ? t0 + 86_400_000 : null,
    token_policy: null,
    created_at: t0,
    updated_at: t0,
    last_used_at: null,
  };
}

/** Users per transaction: 2,000 rows of 16 columns stay under both engines' parameter limits per insert chunk. */
const BATCH = 2_000;
const USER_CHUNK = 1_000;

/**
 * Writes `count` users (and their tokens and search terms) named `<prefix>...`; returns the rows
 * written. Each batch is one transaction of multi-row inserts.
 */
export async function seedGridUsers(
  db: Kysely<Tables>,
  count: number,
  options: { prefix?: string; t0: number },
): Promise<GridUser[]> {
  const all: GridUser[] = [];
  for (let start = 0; start < count; start += BATCH) {
    const users = Array.from({ length: Math.min(BATCH, count - start) }, (_, k) => {
      const i = start + k;
      return { ...gridUser(i, options.prefix ?? '', options.t0), factor: gridFactor(i), seats: gridSeats(i) };
    });
    const seats = users.flatMap((u) =>
      u.seats.map((pool) => ({
        user_id: u.id,
        pool,
        allocated_at: options.t0,
        allocated_by: 'seed',
        via: 'hand',
      })),
    );
    const tokens = users.flatMap((u) => (u.factor === 'none' ? [] : [tokenOf(u.id, u.factor, options.t0)]));
    await db.transaction().execute(async (trx) => {
      for (let i = 0; i < users.length; i += USER_CHUNK)
        await trx
          .insertInto('users')
          .values(users.slice(i, i + USER_CHUNK).map(({ factor: _f, seats: _s, ...row }) => row))
          .execute();
      for (let i = 0; i < tokens.length; i += USER_CHUNK)
        await trx
          .insertInto('tokens')
          .values(tokens.slice(i, i + USER_CHUNK))
          .execute();
      for (let i = 0; i < seats.length; i += USER_CHUNK)
        await trx
          .insertInto('seats')
          .values(seats.slice(i, i + USER_CHUNK))
          .execute();
      await insertSearchTerms(trx, users);
    });
    all.push(...users);
  }
  return all;
}

/** A seeded user row and what tokens it was given. */
export type GridUser = Selectable<UserRow> & { factor: SeededFactor; seats: string[] };
