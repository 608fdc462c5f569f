import { maskDestination } from '../../dispatch/mask.js';
import type { Token } from '../../store/repositories/tokens.js';
import type { User } from '../../store/repositories/users.js';
import { addressee, type NoticeDeps, noticeTime, ownLanguage, sendUserMessage } from '../user-message.js';

/** What the notice is sent with. */
export type FactorNoticeDeps = NoticeDeps;

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
  const language = ownLanguage(user, deps.languages) ?? context.language;
  const event = {
    type: 'selfservice.notice',
    userId: user.id,
    username: user.username,
    address: context.address,
  };
  // By e-mail only (the notice is about the SMS number itself): the audit says which half is missing.
  if (!user.email || !deps.dispatcher.supports('email')) {
    await deps.audit.record({ ...event, outcome: 'failure', reason: user.email ? 'NO_GATEWAY' : 'NO_EMAIL' });
    return;
  }
  await sendUserMessage(deps, {
    event,
    details: notice.details,
    channel: 'email',
    to: user.email,
    language,
    text: (key) =>
      deps.translate(language, `${notice.key}.${key}`, {
        ...addressee(user),
        time: noticeTime(deps.clock()),
        address: context.address,
        ...notice.values,
      }),
    failureLog: 'self-service notice not sent',
  });
}
