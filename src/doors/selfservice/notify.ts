import { randomUUID } from 'node:crypto';
import type { Clock } from '../../clock.js';
import type { Dispatcher } from '../../dispatch/dispatcher.js';
import { maskDestination } from '../../dispatch/mask.js';
import { describeError } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';
import type { AuditRepository } from '../../store/repositories/audit.js';
import type { Token } from '../../store/repositories/tokens.js';
import type { User } from '../../store/repositories/users.js';

/** Looks up a text of the `selfservice` namespace in a language. */
export type SelfServiceTranslate = (
  language: string,
  key: string,
  options?: Record<string, unknown>,
) => string;

/** What the notice is sent with. */
export interface FactorNoticeDeps {
  dispatcher: Dispatcher;
  translate: SelfServiceTranslate;
  /** The languages there are translations for. */
  languages: readonly string[];
  audit: AuditRepository;
  logger: Logger;
  clock: Clock;
}

/** One notice: its texts (`<key>.subject`, `<key>.text`), their values, and what the audit records. */
interface Notice {
  key: 'notice' | 'mobileNotice';
  values: Record<string, unknown>;
  details: Record<string, unknown>;
}

/**
 * Tells a user by e-mail that a second factor was added to their account, in their directory
 * language (else the page's), so that someone who enrolled with a stolen password is noticed.
 * A notice that cannot go out (no address, no e-mail gateway, a failure) does not undo the
 * enrolment; it is audited and logged.
 */
export function sendFactorAddedNotice(
  deps: FactorNoticeDeps,
  user: User,
  token: Token,
  context: { language: string; address: string },
): Promise<void> {
  return sendNotice(
    deps,
    user,
    {
      key: 'notice',
      values: { token: token.description ?? token.type.toUpperCase() },
      details: { token: token.id },
    },
    context,
  );
}

/**
 * Tells a user by e-mail that their mobile number was changed (both numbers masked): the SMS
 * passcodes go to the new one from now on, so a change they did not make must be noticed.
 */
export function sendMobileChangedNotice(
  deps: FactorNoticeDeps,
  user: User,
  change: { to: string },
  context: { language: string; address: string },
): Promise<void> {
  const to = maskDestination(change.to);
  return sendNotice(
    deps,
    user,
    { key: 'mobileNotice', values: { mobile: to }, details: { mobile: to } },
    context,
  );
}

async function sendNotice(
  deps: FactorNoticeDeps,
  user: User,
  notice: Notice,
  context: { language: string; address: string },
): Promise<void> {
  const preferred = user.attributes.preferredLanguage;
  const language =
    typeof preferred === 'string' && deps.languages.includes(preferred) ? preferred : context.language;
  const event = {
    type: 'selfservice.notice',
    userId: user.id,
    username: user.username,
    address: context.address,
  };
  if (!user.email || !deps.dispatcher.supports('email')) {
    await deps.audit.record({ ...event, outcome: 'failure', reason: user.email ? 'NO_GATEWAY' : 'NO_EMAIL' });
    return;
  }
  const t = (key: string) =>
    deps.translate(language, `${notice.key}.${key}`, {
      name: user.displayName ?? user.username,
      account: user.username,
      time: new Date(deps.clock()).toISOString().replace('T', ' ').slice(0, 16),
      address: context.address,
      ...notice.values,
    });
  const id = randomUUID();
  try {
    const result = await deps.dispatcher.send({
      id,
      channel: 'email',
      to: user.email,
      language,
      subject: t('subject'),
      text: t('text'),
    });
    await deps.audit.record({
      ...event,
      outcome: 'success',
      details: { ...notice.details, to: maskDestination(user.email), gateway: result.gateway, message: id },
    });
  } catch (error) {
    deps.logger.warn({ err: describeError(error), userId: user.id }, 'self-service notice not sent');
    await deps.audit.record({
      ...event,
      outcome: 'failure',
      reason: (error as { code?: string }).code ?? 'DISPATCH_FAILED',
      details: { ...notice.details, message: id },
    });
  }
}
