import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { Dispatcher } from '../dispatch/dispatcher.js';
import { maskDestination } from '../dispatch/mask.js';
import { describeError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { AuditEvent, AuditRepository } from '../store/repositories/audit.js';

/** The user's own language (the directory's preferredLanguage) when there are texts in it. */
export function ownLanguage(
  user: { attributes: Record<string, unknown> },
  languages: readonly string[],
): string | undefined {
  const preferred = user.attributes.preferredLanguage;
  const own = typeof preferred === 'string' ? preferred.slice(0, 2).toLowerCase() : undefined;
  return own && languages.includes(own) ? own : undefined;
}

/** Looks up a text of a notice's namespace in a language. */
export type NoticeTranslate = (language: string, key: string, values?: Record<string, unknown>) => string;

/** Where a message to a user goes. */
export interface Destination {
  channel: 'email' | 'sms';
  to: string;
}

/** Where a user can be reached, e-mail first, then SMS, each only when a gateway carries it. */
export function reachableAt(
  user: { email: string | null; mobile: string | null },
  dispatcher: Pick<Dispatcher, 'supports'>,
): Destination[] {
  return [
    ...(user.email && dispatcher.supports('email') ? [{ channel: 'email' as const, to: user.email }] : []),
    ...(user.mobile && dispatcher.supports('sms') ? [{ channel: 'sms' as const, to: user.mobile }] : []),
  ];
}

/** How a notice names its addressee: `name` (display name, else user name) and `account`. */
export function addressee(user: { username: string; displayName: string | null }): {
  name: string;
  account: string;
} {
  return { name: user.displayName ?? user.username, account: user.username };
}

/** A moment as notices show it: `2026-12-07 14:05 UTC`. */
export function noticeTime(ms: number): string {
  return `${new Date(ms).toISOString().replace('T', ' ').slice(0, 16)} UTC`;
}

/** What a notice to users is written, sent and audited with (the reset and ActiveSync notices). */
export interface NoticeDeps {
  dispatcher: Pick<Dispatcher, 'send' | 'supports'>;
  /** Texts of the notice's namespace. */
  translate: NoticeTranslate;
  /** The languages there are translations for. */
  languages: readonly string[];
  audit: AuditRepository;
  logger: Pick<Logger, 'warn'>;
  clock: Clock;
}

/** What a message to a user is sent and audited with. */
export interface UserMessageDeps {
  dispatcher: Pick<Dispatcher, 'send'>;
  audit: AuditRepository;
  logger: Pick<Logger, 'warn'>;
}

/** One message to a user (the reset site's notices, the ActiveSync door's) over one channel. */
export interface UserMessage {
  /** The audit event it is recorded as (outcome, reason and details are added). */
  event: Omit<AuditEvent, 'outcome' | 'reason' | 'details'>;
  details: Record<string, unknown>;
  channel: 'email' | 'sms';
  to: string;
  language: string;
  /** Its texts by key: `subject` and `text` for e-mail, `sms` for SMS. */
  text: (key: 'subject' | 'text' | 'sms') => string;
  /** The log line when it cannot go out. */
  failureLog: string;
}

/**
 * Sends one message and audits it either way (the destination masked): a message that cannot go
 * out undoes nothing, it is logged and audited with the dispatcher's reason. Says whether it went.
 */
export async function sendUserMessage(deps: UserMessageDeps, message: UserMessage): Promise<boolean> {
  const { event, channel, to } = message;
  const id = randomUUID();
  const details = { ...message.details, channel, to: maskDestination(to), message: id };
  try {
    const result = await deps.dispatcher.send({
      id,
      channel,
      to,
      language: message.language,
      ...(channel === 'email'
        ? { subject: message.text('subject'), text: message.text('text') }
        : { text: message.text('sms') }),
    });
    await deps.audit.record({
      ...event,
      outcome: 'success',
      details: { ...details, gateway: result.gateway },
    });
    return true;
  } catch (error) {
    deps.logger.warn({ err: describeError(error), channel, userId: event.userId }, message.failureLog);
    await deps.audit.record({
      ...event,
      outcome: 'failure',
      reason: (error as { code?: string }).code ?? 'DISPATCH_FAILED',
      details,
    });
    return false;
  }
}

/**
 * Sends one notice to each of its destinations (see {@link sendUserMessage}); with none, audits
 * it as `NO_DESTINATION` and sends nothing. Says how many messages went.
 */
export async function notifyUser(
  deps: UserMessageDeps,
  notice: Omit<UserMessage, 'channel' | 'to'> & { destinations: readonly Destination[] },
): Promise<number> {
  const { destinations, ...message } = notice;
  if (destinations.length === 0) {
    await deps.audit.record({
      ...message.event,
      outcome: 'failure',
      reason: 'NO_DESTINATION',
      details: message.details,
    });
    return 0;
  }
  let sent = 0;
  for (const destination of destinations)
    if (await sendUserMessage(deps, { ...message, ...destination })) sent++;
  return sent;
}
