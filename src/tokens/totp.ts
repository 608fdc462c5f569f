import type { Clock } from '../clock.js';
import type { Token, TokensRepository } from '../store/repositories/tokens.js';
import {
  matchTotp,
  OATH_ALGORITHMS,
  OATH_DIGITS,
  type OathAlgorithm,
  type OathDigits,
  timeStep,
} from './oath.js';
import type { TokenType, TokenTypeInfo } from './token-type.js';

/** TOTP (RFC 6238): codes from the time; learns each token's clock drift. */
export class TotpTokenType implements TokenType {
  readonly info: TokenTypeInfo = {
    type: 'totp',
    title: 'Time-based one-time password (TOTP)',
    amr: ['otp'],
    source: 'device',
    parameters: [
      { name: 'algorithm', description: 'HMAC algorithm', values: OATH_ALGORITHMS, default: 'SHA1' },
      { name: 'digits', description: 'Code length', values: OATH_DIGITS, default: 6 },
      { name: 'period', description: 'Time step in seconds', default: 30 },
      { name: 'hardware', description: 'A hardware token (secret imported, not shown)', default: false },
    ],
  };

  constructor(
    private readonly tokens: TokensRepository,
    private readonly clock: Clock,
    /** Steps accepted on either side of the expected one. */
    private readonly window: number,
  ) {}

  async verify(token: Token, response: string): Promise<boolean> {
    const period = token.period ?? 30;
    const current = timeStep(this.clock(), period);
    const expected = current + token.drift;
    const secret = await this.tokens.secretOf(token.id);
    const matched = matchTotp(secret, response, expected, this.window, period, {
      algorithm: (token.algorithm ?? 'SHA1') as OathAlgorithm,
      digits: (token.digits ?? 6) as OathDigits,
    });
    if (matched === undefined || (token.lastStep !== null && matched <= token.lastStep)) return false;
    return this.tokens.acceptTimeStep(token.id, matched, matched - current);
  }
}
