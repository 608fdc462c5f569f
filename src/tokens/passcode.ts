import { timingSafeEqual } from 'node:crypto';
import type { CodeHasher } from '../crypto/code-hash.js';
import type { PasscodesRepository } from '../store/repositories/passcodes.js';
import type { Token } from '../store/repositories/tokens.js';
import type { TokenType, TokenTypeInfo, VerifyContext } from './token-type.js';

/** Passcode channels and their RFC 8176 `amr` values (a voice call is `tel`). */
export const PASSCODE_CHANNELS = {
  sms: { title: 'Passcode by SMS', amr: ['sms'] },
  voice: { title: 'Passcode by voice call', amr: ['tel'] },
  email: { title: 'Passcode by e-mail', amr: ['otp'] },
} as const;

/** A channel Passgate sends passcodes through. */
export type PasscodeChannel = keyof typeof PASSCODE_CHANNELS;

/**
 * A passcode channel as a token type: the code was sent by Passgate (see the passcode sender),
 * and a response is checked against the latest passcode sent on this channel, in constant time,
 * then consumed atomically.
 */
export class PasscodeTokenType implements TokenType {
  readonly info: TokenTypeInfo;

  constructor(
    readonly channel: PasscodeChannel,
    private readonly passcodes: PasscodesRepository,
    private readonly hasher: CodeHasher,
  ) {
    this.info = {
      type: channel,
      title: PASSCODE_CHANNELS[channel].title,
      amr: PASSCODE_CHANNELS[channel].amr,
      source: 'sent',
      parameters: [
        {
          name: 'destination',
          description:
            channel === 'email'
              ? 'E-mail address (default: the directory’s)'
              : 'Phone number (default: the directory’s mobile)',
        },
      ],
    };
  }

  async verify(token: Token, response: string, context: VerifyContext): Promise<boolean> {
    const candidates = this.hasher.candidates(normalizePasscode(response)).map((h) => Buffer.from(h));
    for (const passcode of await this.passcodes.usable(token.userId, this.channel, context.challengeId)) {
      const stored = Buffer.from(passcode.code_hash);
      if (candidates.some((c) => c.length === stored.length && timingSafeEqual(c, stored))) {
        return this.passcodes.consume(passcode.id);
      }
    }
    return false;
  }
}

/** Passcodes are compared without spaces or dashes, and without regard to case. */
export function normalizePasscode(text: string): string {
  return text.replace(/[\s-]/g, '').toUpperCase();
}
