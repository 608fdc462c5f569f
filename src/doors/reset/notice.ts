import type { Clock } from '../../clock.js';
import type { Dispatcher } from '../../dispatch/dispatcher.js';
import type { Logger } from '../../observability/logger.js';
import type { AuditRepository } from '../../store/repositories/audit.js';
import type { User } from '../../store/repositories/users.js';
import { ownLanguage, sendUserMessage } from '../user-message.js';
import type { ResetAction } from './site.js';

/** Looks up a text of the `reset` namespace in a language. */
export type ResetTranslate = (language: string, key: string, values?: Record<string, unknown>) => string;

/** What the notice is sent with. */
export interface ResetNoticeDeps {
  dispatcher: Pick<Dispatcher, 'send' | 'supports'>;
  translate: ResetTranslate;
  /** The languages there are translations for. */
  languages: readonly string[];
  audit: AuditRepository;
  logger: Pick<Logger, 'warn'>;
  clock: Clock;
}

/** Where the notice goes: e-mail when the user has an address and a gateway sends e-mail, else SMS. */
function channelOf(deps: ResetNoticeDeps, user: User): { channel: 'email' | 'sms'; to: string } | undefined {
  if (user.email && deps.dispatcher.supports('email')) return { channel: 'email', to: user.email };
  if (user.mobile && deps.dispatcher.supports('sms')) return { channel: 'sms', to: user.mobile };
  return undefined;
}

/**
 * Tells the user that their password was reset or their account unlocked, with the time, the
 * address and "if this was not you, call your helpdesk", in their directory language (else the
 * page's): someone who took over their second factor is noticed. A notice that cannot go out
 * undoes nothing; it is audited and logged.
 */
export async function sendResetNotice(
  deps: ResetNoticeDeps,
  user: User,
  action: ResetAction,
  context: { language: string; address: string; site: string },
): Promise<void> {
  const language = ownLanguage(user, deps.languages) ?? context.language;
  const event = { type: 'reset.notice', userId: user.id, username: user.username, address: context.address };
  const details = { action, site: context.site };
  const target = channelOf(deps, user);
  if (!target) {
    await deps.audit.record({ ...event, outcome: 'failure', reason: 'NO_DESTINATION', details });
    return;
  }
  const text = (key: string) =>
    deps.translate(language, `notice.${action}.${key}`, {
      name: user.displayName ?? user.username,
      account: user.username,
      time: `${new Date(deps.clock()).toISOString().replace('T', ' ').slice(0, 16)} UTC`,
      address: context.address,
    });
  await sendUserMessage(deps, {
    event,
    details,
    ...target,
    language,
    text,
    failureLog: 'reset notice not sent',
  });
}
