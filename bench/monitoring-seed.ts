import type { Kysely } from 'kysely';
import { SignInAttemptsRepository } from '../src/store/repositories/sign-in-attempts.js';
import type { SignInAttemptRow, Tables } from '../src/store/tables.js';

/** The days the seeded attempts spread over (the default retention). */
export const SEEDED_DAYS = 180;
const DAY = 86_400_000;
/** Countries weighted as a European organisation's sign-ins might be: most at home, a long tail. */
const COUNTRIES = [
  'NL',
  'NL',
  'NL',
  'NL',
  'NL',
  'NL',
  'DE',
  'DE',
  'BE',
  'GB',
  'US',
  'US',
  'FR',
  'ES',
  'IT',
  'PL',
  'SE',
  'JP',
  'BR',
  'IN',
  'CN',
  'RU',
  'NG',
  'ZA',
  'AU',
  'CA',
  'MX',
  'TR',
  'UA',
  'VN',
  null,
];
const RESULTS = [
  'success',
  'success',
  'success',
  'success',
  'success',
  'success',
  'wrong_password',
  'wrong_password',
  'wrong_code',
  'denied',
  'throttled',
  'locked',
];
const DOORS = [
  ['oidc', 'portal'],
  ['saml', 'office365'],
  ['saml', 'salesforce'],
  ['radius', 'vpn'],
  ['selfservice', 'selfservice'],
];

/** A small deterministic generator, so both backends hold the same attempts. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/**
 * Seeds `count` attempts over the {@link SEEDED_DAYS} days before `now`, evenly in time, through
 * the writer's insert (so the day counts are kept as in production): the same attempts on both
 * engines for the same count.
 */
export async function seedAttempts(db: Kysely<Tables>, count: number, now: number): Promise<void> {
  const repository = new SignInAttemptsRepository(db);
  const ATTEMPTS = count;
  const DAYS = SEEDED_DAYS;
  const next = random(17);
  const pick = <T>(list: readonly T[]) => list[Math.floor(next() * list.length)]!;
  const batch = 1000;
  for (let n = 0; n < ATTEMPTS; n += batch) {
    const rows: SignInAttemptRow[] = [];
    for (let i = n; i < Math.min(ATTEMPTS, n + batch); i++) {
      const at = now - Math.floor(((ATTEMPTS - i) / ATTEMPTS) * DAYS * DAY);
      const country = pick(COUNTRIES);
      const [door, application] = pick(DOORS);
      const result = pick(RESULTS);
      const a = Math.floor(next() * 200) + 20;
      const b = Math.floor(next() * 256);
      rows.push({
        id: `${at.toString(36).padStart(10, '0')}${i.toString(16).padStart(16, '0')}`,
        at,
        user_id: null,
        user_name: `user${Math.floor(next() * 5000)}`,
        door: door!,
        application: application!,
        address: `${a}.${b}.7.9`,
        network: `${a}.${b}.7.0/24`,
        country,
        first_seen: next() < 0.01 ? 1 : 0,
        result,
        reason: null,
        rule: 'default',
        action: result === 'success' ? 'mfa' : null,
        method: 'totp',
      });
    }
    await repository.insertMany(rows);
  }
}
