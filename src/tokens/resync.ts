import { timingSafeEqual } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { Token, TokensRepository } from '../store/repositories/tokens.js';
import { TokenErrors } from './errors.js';
import { hotpCode, isWellFormed, type OathAlgorithm, type OathDigits, timeStep, totpCode } from './oath.js';

const same = (a: string, b: string) =>
  a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/**
 * Resynchronises an OATH token from two consecutive codes (RFC 4226 section 7.4): an HOTP
 * token's counter is searched `window` values ahead, a TOTP token's clock `window` steps either
 * side. The token continues after the second code, so neither code can be used again.
 */
export async function resynchronise(
  tokens: TokensRepository,
  token: Token,
  codes: [string, string],
  window: number,
  clock: Clock,
): Promise<{ counter?: number; drift?: number }> {
  const digits = (token.digits ?? 6) as OathDigits;
  if (!codes.every((c) => isWellFormed(c, digits))) {
    throw TokenErrors.TOKEN_RESYNC_FAILED({ detail: `both codes must have ${digits} digits` });
  }
  const params = { algorithm: (token.algorithm ?? 'SHA1') as OathAlgorithm, digits };
  const secret = await tokens.secretOf(token.id);
  if (token.type === 'hotp') {
    for (let counter = token.counter; counter <= token.counter + window; counter++) {
      if (
        same(hotpCode(secret, counter, params), codes[0]) &&
        same(hotpCode(secret, counter + 1, params), codes[1])
      ) {
        await tokens.resynchronise(token.id, { counter: counter + 2 });
        return { counter: counter + 2 };
      }
    }
  } else if (token.type === 'totp') {
    const period = token.period ?? 30;
    const current = timeStep(clock(), period);
    for (let offset = 0; offset <= window; offset++) {
      for (const step of offset === 0 ? [current] : [current - offset, current + offset]) {
        if (
          same(totpCode(secret, step, period, params), codes[0]) &&
          same(totpCode(secret, step + 1, period, params), codes[1])
        ) {
          const drift = step + 1 - current;
          await tokens.resynchronise(token.id, { drift, lastStep: step + 1 });
          return { drift };
        }
      }
    }
  } else {
    throw TokenErrors.TOKEN_RESYNC_FAILED({ detail: `${token.type} tokens have nothing to resynchronise` });
  }
  throw TokenErrors.TOKEN_RESYNC_FAILED({
    detail: `no two consecutive codes within ${window} of the token's position`,
  });
}
