import type { Channel, OutboundMessage } from './gateway.js';
import { spokenPasscode } from './spoken.js';

/** What a passcode message is built from. */
export interface PasscodeMessageInput {
  /** Passgate's id of the message (stable across failover attempts). */
  id: string;
  channel: Channel;
  to: string;
  code: string;
  language: string;
  /** How long the passcode stays valid, in minutes. */
  validMinutes: number;
}

const WORDING: Record<string, { subject: string; text: (code: string, minutes: number) => string }> = {
  en: {
    subject: 'Your passcode',
    text: (code, minutes) =>
      `Your passcode is ${code}. It is valid for ${minutes} minutes. Never share it with anyone.`,
  },
  fr: {
    subject: 'Votre code',
    text: (code, minutes) =>
      `Votre code est ${code}. Il est valable ${minutes} minutes. Ne le communiquez à personne.`,
  },
};

/**
 * The message that carries a passcode on any channel: text for SMS and e-mail, a subject for
 * e-mail, and for voice the digits read one by one, twice.
 */
export function buildPasscodeMessage(input: PasscodeMessageInput): OutboundMessage {
  const primary = input.language.toLowerCase().split(/[-_]/)[0] ?? 'en';
  const wording = WORDING[primary] ?? (WORDING.en as NonNullable<(typeof WORDING)['en']>);
  return {
    id: input.id,
    channel: input.channel,
    to: input.to,
    text: wording.text(input.code, input.validMinutes),
    language: input.language,
    ...(input.channel === 'email' ? { subject: wording.subject } : {}),
    ...(input.channel === 'voice' ? { spoken: spokenPasscode(input.code, input.language) } : {}),
  };
}
