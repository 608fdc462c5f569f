import type { Token, TokensRepository } from '../store/repositories/tokens.js';
import { matchHotp, OATH_ALGORITHMS, OATH_DIGITS, type OathAlgorithm, type OathDigits } from './oath.js';
import type { TokenType, TokenTypeInfo } from './token-type.js';

/** HOTP (RFC 4226): codes from a counter, with a look-ahead window. */
export class HotpTokenType implements TokenType {
  readonly info: TokenTypeInfo = {
    type: 'hotp',
    title: 'Counter-based one-time password (HOTP)',
    amr: ['otp'],
    source: 'device',
    parameters: [
      { name: 'algorithm', description: 'HMAC algorithm', values: OATH_ALGORITHMS, default: 'SHA1' },
      { name: 'digits', description: 'Code length', values: OATH_DIGITS, default: 6 },
      { name: 'counter', description: 'Next counter value', default: 0 },
      { name: 'hardware', description: 'A hardware token (secret imported, not shown)', default: false },
    ],
  };

  constructor(
    private readonly tokens: TokensRepository,
    /** Counter values looked ahead. */
    private readonly window: number,
  ) {}

  async verify(token: Token, response: string): Promise<boolean> {
    const secret = await this.tokens.secretOf(token.id);
    const matched = matchHotp(secret, response, token.counter, this.window, {
      algorithm: (token.algorithm ?? 'SHA1') as OathAlgorithm,
      digits: (token.digits ?? 6) as OathDigits,
    });
    return matched !== undefined && this.tokens.acceptCounter(token.id, token.counter, matched);
  }
}
