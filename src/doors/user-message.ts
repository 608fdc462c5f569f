import { randomUUID } from 'node:crypto';
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
    deps.logger.warn({ err: describeError(error), channel }, message.failureLog);
    await deps.audit.record({
      ...event,
      outcome: 'failure',
      reason: (error as { code?: string }).code ?? 'DISPATCH_FAILED',
      details,
    });
    return false;
  }
}
