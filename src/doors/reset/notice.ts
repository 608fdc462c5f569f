import { randomUUID } from 'node:crypto';
import type { Clock } from '../../clock.js';
import type { Dispatcher } from '../../dispatch/dispatcher.js';
import { maskDestination } from '../../dispatch/mask.js';
import { describeError } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';
import type { AuditRepository } from '../../store/repositories/audit.js';
import type { User } from '../../store/repositories/users.js';
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
  const preferred = user.attributes.preferredLanguage;
  const own = typeof preferred === 'string' ? preferred.slice(0, 2).toLowerCase() : undefined;
  const language = own && deps.languages.includes(own) ? own : context.language;
  const event = { type: 'reset.notice', userId: user.id, username: user.username, address: context.address };
  const details = { action, site: context.site };
  const target = channelOf(deps, user);
  if (!target) {
    await deps.audit.record({ ...event, outcome: 'failure', reason: 'NO_DESTINATION', details });
    return;
  }
  const t = (key: string) =>
    deps.translate(language, `notice.${action}.${key}`, {
      name: user.displayName ?? user.username,
      account: user.username,
      time: `${new Date(deps.clock()).toISOString().replace('T', ' ').slice(0, 16)} UTC`,
      address: context.address,
    });
  const id = randomUUID();
  try {
    const result = await deps.dispatcher.send({
      id,
      channel: target.channel,
      to: target.to,
      language,
      ...(target.channel === 'email' ? { subject: t('subject'), text: t('text') } : { text: t('sms') }),
    });
    await deps.audit.record({
      ...event,
      outcome: 'success',
      details: {
        ...details,
        channel: target.channel,
        to: maskDestination(target.to),
        gateway: result.gateway,
        message: id,
      },
    });
  } catch (error) {
    deps.logger.warn({ err: describeError(error), userId: user.id }, 'reset notice not sent');
    await deps.audit.record({
      ...event,
      outcome: 'failure',
      reason: (error as { code?: string }).code ?? 'DISPATCH_FAILED',
      details: { ...details, channel: target.channel, message: id },
    });
  }
}
