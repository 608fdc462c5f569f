import type { Channel, OutboundMessage } from '../dispatch/gateway.js';
import type { PasscodePolicy } from '../policy/passcode-policy.js';

/** Looks up a message text in a language (i18next's `t` bound to the `messages` namespace). */
export type Translate = (language: string, key: string, options?: Record<string, unknown>) => unknown;

/** What a passcode message is made of. */
export interface PasscodeMessageInput {
  id: string;
  channel: Channel;
  to: string;
  code: string;
  language: string;
  /** The person's name, for the e-mail greeting. */
  name: string;
  policy: PasscodePolicy;
}

/**
 * The message carrying a passcode, in the user's language: the Passcode Policy's own texts for
 * that language when it has them ({code}, {minutes}), the translations of
 * `locales/<language>/messages.json` otherwise. A voice call reads the digits one by one, twice.
 */
export function passcodeMessage(input: PasscodeMessageInput, translate: Translate): OutboundMessage {
  const { code, language, policy } = input;
  const minutes = Math.max(1, Math.round(policy.validitySeconds / 60));
  const own = policy.templates[language] ?? policy.templates[language.split('-')[0] ?? ''];
  const fill = (template: string) =>
    template.replaceAll('{code}', code).replaceAll('{minutes}', String(minutes));
  const t = (key: string, options: Record<string, unknown> = {}) => String(translate(language, key, options));
  const base = { id: input.id, channel: input.channel, to: input.to, language, code };
  switch (input.channel) {
    case 'sms':
      return { ...base, text: own?.sms ? fill(own.sms) : t('passcode.sms', { code, count: minutes }) };
    case 'email':
      return {
        ...base,
        subject: own?.emailSubject ?? t('passcode.emailSubject'),
        text: own?.email ? fill(own.email) : t('passcode.email', { code, count: minutes, name: input.name }),
      };
    case 'voice': {
      const words = translate(language, 'passcode.digits', { returnObjects: true });
      const digits = [...code]
        .map((c) => (Array.isArray(words) && /\d/.test(c) ? String(words[Number(c)]) : c))
        .join(', ');
      const intro = own?.voice ? fill(own.voice) : t('passcode.voiceIntro');
      const spoken = `${intro} ${digits}. ${t('passcode.voiceRepeat')} ${digits}.`;
      return { ...base, text: spoken, spoken };
    }
  }
}
