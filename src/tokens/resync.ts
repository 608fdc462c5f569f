import { timingSafeEqual } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { Token, TokensRepository } from '../store/repositories/tokens.js';
import { TokenErrors } from './errors.js';
import { hotpCode, isWellFormed, type OathParams, timeStep, totpCode } from './oath.js';
import type { ResyncResult, TokenType } from './token-type.js';

const same = (a: string, b: string) =>
  a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/**
 * Resynchronises a token from two consecutive codes (RFC 4226 section 7.4) with its type's
 * `resync` (from the registry, `TokenTypes`); the token continues after the second code, so neither code can be used again.
 */
export function resynchronise(
  types: { get(type: string): Pick<TokenType, 'resync'> | undefined },
  token: Token,
  codes: [string, string],
  window: number,
): Promise<ResyncResult> {
  const resync = types.get(token.type)?.resync;
  if (!resync) {
    throw TokenErrors.TOKEN_RESYNC_FAILED({ detail: `${token.type} tokens have nothing to resynchronise` });
  }
  return resync(token, codes, window);
}

/** An HOTP token's counter, searched `window` values ahead. */
export async function resyncHotp(
  tokens: TokensRepository,
  token: Token,
  codes: [string, string],
  window: number,
): Promise<ResyncResult> {
  const { secret, params } = await oathOf(tokens, token, codes);
  for (let counter = token.counter; counter <= token.counter + window; counter++) {
    if (
      same(hotpCode(secret, counter, params), codes[0]) &&
      same(hotpCode(secret, counter + 1, params), codes[1])
    ) {
      await tokens.resynchronise(token.id, { counter: counter + 2 });
      return { counter: counter + 2 };
    }
  }
  throw notFound(window);
}

/** A TOTP token's clock, searched `window` steps either side of now. */
export async function resyncTotp(
  tokens: TokensRepository,
  token: Token,
  codes: [string, string],
  window: number,
  clock: Clock,
): Promise<ResyncResult> {
  const { secret, params } = await oathOf(tokens, token, codes);
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
  throw notFound(window);
}

/** The secret and OATH parameters of a token, after checking both codes have its length. */
async function oathOf(
  tokens: TokensRepository,
  token: Token,
  codes: [string, string],
): Promise<{ secret: Uint8Array; params: OathParams }> {
  const digits = (token.digits ?? 6) as OathParams['digits'];
  if (!codes.every((c) => isWellFormed(c, digits))) {
    throw TokenErrors.TOKEN_RESYNC_FAILED({ detail: `both codes must have ${digits} digits` });
  }
  const params = { algorithm: (token.algorithm ?? 'SHA1') as OathParams['algorithm'], digits };
  return { secret: await tokens.secretOf(token.id), params };
}

const notFound = (window: number) =>
  TokenErrors.TOKEN_RESYNC_FAILED({
    detail: `no two consecutive codes within ${window} of the token's position`,
  });
