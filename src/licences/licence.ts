import { readFileSync } from 'node:fs';
import { ConfigErrors } from '../config/errors.js';
import type { LicencesConfig } from '../config/licences-schema.js';
import { type LicenceContent, LicenceFileProblem, parsePublicKey, verifyLicence } from './licence-file.js';
import type { LicenceStatus, LicenceSummary, SeatPool, SeatTerms } from './seats.js';

/** Days an expired licence only warns before it blocks new allocations. */
export const GRACE_DAYS = 30;
const DAY_MS = 86_400_000;

/**
 * The licence in force: the verified file's counts and expiry, or unlimited pools without a file.
 * It bounds allocation only; nothing already allocated is ever taken away by it.
 */
export class Licence implements SeatTerms {
  private readonly expiresAt: number | null;

  constructor(readonly content?: LicenceContent) {
    this.expiresAt = content ? Date.parse(`${content.expires}T00:00:00Z`) + DAY_MS : null;
  }

  /** Seats the pool may hold; null without a licence. */
  capacity(pool: SeatPool): number | null {
    return this.content ? this.content.pools[pool] : null;
  }

  status(now: number): LicenceStatus {
    if (this.expiresAt === null) return 'unlimited';
    if (now < this.expiresAt) return 'valid';
    return now < this.expiresAt + GRACE_DAYS * DAY_MS ? 'expired-grace' : 'expired';
  }

  allocationBlocked(now: number): string | undefined {
    return this.status(now) === 'expired'
      ? `the licence expired on ${this.content?.expires} and its ${GRACE_DAYS}-day grace period is over`
      : undefined;
  }

  summary(now: number): LicenceSummary {
    const blocksFrom =
      this.expiresAt === null
        ? null
        : new Date(this.expiresAt + GRACE_DAYS * DAY_MS).toISOString().slice(0, 10);
    return {
      status: this.status(now),
      customer: this.content?.customer ?? null,
      expires: this.content?.expires ?? null,
      blocksFrom: this.status(now) === 'expired-grace' ? blocksFrom : null,
    };
  }
}

/**
 * Reads and verifies `licences.file`: without one, the pools are unlimited. A file that cannot be
 * read, is malformed, badly signed or for another customer is a configuration error (CONFIG_INVALID)
 * naming the key: the server refuses to start rather than run with seats it cannot account for.
 */
export function loadLicence(config: LicencesConfig): Licence {
  if (!config.file) return new Licence();
  try {
    const key = parsePublicKey(config.publicKey ?? '');
    let text: string;
    try {
      text = readFileSync(config.file, 'utf8');
    } catch (error) {
      throw new LicenceFileProblem(
        `cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
      );
    }
    return new Licence(verifyLicence(text, key, config.customer ?? ''));
  } catch (error) {
    if (!(error instanceof LicenceFileProblem)) throw error;
    const message = error.message.startsWith('licences.')
      ? error.message
      : `licences.file ${config.file}: ${error.message}`;
    throw ConfigErrors.CONFIG_INVALID({ detail: message });
  }
}
