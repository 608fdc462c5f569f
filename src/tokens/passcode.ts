import { timingSafeEqual } from 'node:crypto';
import { CHANNELS, type Channel } from '../config/channels.js';
import type { CodeHasher } from '../crypto/code-hash.js';
import type { PasscodesRepository } from '../store/repositories/passcodes.js';
import type { Token } from '../store/repositories/tokens.js';
import type { TokenTypePlugin, VerifyContext } from './token-type.js';

/** How each channel's token type describes itself, with its RFC 8176 `amr` (a voice call is `tel`). */
const CHANNEL_TYPES: Record<Channel, { title: string; amr: readonly string[] }> = {
  sms: { title: 'Passcode by SMS', amr: ['sms'] },
  voice: { title: 'Passcode by voice call', amr: ['tel'] },
  email: { title: 'Passcode by e-mail', amr: ['otp'] },
};

/** The `destination` setting, by the address a channel reaches. */
const DESTINATION = {
  mobile: 'Phone number (default: the directory’s mobile)',
  email: 'E-mail address (default: the directory’s)',
};

/**
 * A passcode channel as a token type: the code was sent by Passgate (see the passcode sender),
 * and a response is checked against the latest passcode sent on this channel, in constant time,
 * then consumed atomically. Its tokens are not enrolled: every user has one per channel the
 * directory gives (`mfa.directoryChannels`), created at sign-in.
 */
export function passcodeType(channel: Channel): TokenTypePlugin {
  const { title, amr } = CHANNEL_TYPES[channel];
  return {
    info: {
      type: channel,
      title,
      amr,
      source: 'sent',
      parameters: [{ name: 'destination', description: DESTINATION[CHANNELS[channel].address] }],
    },
    describe: { noun: `${channel} passcode token`, settings: () => '' },
    channel,
    create: (deps) => ({
      verify: (token, response, context) =>
        verifyPasscode(deps.passcodes, deps.passcodeHasher, channel, token, response, context),
    }),
  };
}

async function verifyPasscode(
  passcodes: PasscodesRepository,
  hasher: CodeHasher,
  channel: Channel,
  token: Token,
  response: string,
  context: VerifyContext,
): Promise<boolean> {
  const candidates = hasher.candidates(normalizePasscode(response)).map((h) => Buffer.from(h));
  for (const passcode of await passcodes.usable(token.userId, channel, context.challengeId)) {
    const stored = Buffer.from(passcode.code_hash);
    if (candidates.some((c) => c.length === stored.length && timingSafeEqual(c, stored))) {
      return passcodes.consume(passcode.id);
    }
  }
  return false;
}

/** Passcodes are compared without spaces or dashes, and without regard to case. */
export function normalizePasscode(text: string): string {
  return text.replace(/[\s-]/g, '').toUpperCase();
}
