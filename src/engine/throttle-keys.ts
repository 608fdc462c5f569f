import { isIP } from 'node:net';

/**
 * The names of the throttle counters, in one place: the engine charges them, and the
 * administration commands show and clear the same ones.
 */
export const throttleKeys = {
  /** Password failures of a user name as typed (normalised). */
  userName: (name: string) => `login:user:${name}`,
  /** Password failures of a directory account whatever name it is typed as (AD: objectGUID). */
  account: (subject: string) => `login:account:${subject}`,
  /** Password failures from one source address, whatever the user name. */
  address: (address: string) => `login:address:${address}`,
  /** Password-reset journeys started for a user name (normalised), whatever their outcome. */
  resetUser: (name: string) => `reset:user:${name}`,
  /** Password-reset journeys started from one source address. */
  resetAddress: (address: string) => `reset:address:${address}`,
  /** Second-factor failures of a user, over all their tokens. */
  secondFactor: (userId: string) => `mfa:user:${userId}`,
};

/**
 * The spellings a client address can be recorded under: an IPv4 address reaches a dual-stack
 * listener as `::ffff:a.b.c.d`, so unlocking `a.b.c.d` must clear both.
 */
export function addressSpellings(address: string): string[] {
  const trimmed = address.trim();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(trimmed)?.[1];
  if (mapped) return [mapped, `::ffff:${mapped}`];
  if (isIP(trimmed) === 4) return [trimmed, `::ffff:${trimmed}`];
  return [trimmed.toLowerCase()];
}
