import type { User } from '../../store/repositories/users.js';
import {
  addressee,
  type NoticeDeps,
  noticeTime,
  notifyUser,
  ownLanguage,
  reachableAt,
} from '../user-message.js';
import type { ResetAction } from './site.js';

/** What the notice is sent with. */
export type ResetNoticeDeps = NoticeDeps;

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
  await notifyUser(deps, {
    event,
    details,
    // E-mail when the user has an address and a gateway sends e-mail, else SMS.
    destinations: reachableAt(user, deps.dispatcher).slice(0, 1),
    language,
    text: (key) =>
      deps.translate(language, `notice.${action}.${key}`, {
        ...addressee(user),
        time: noticeTime(deps.clock()),
        address: context.address,
      }),
    failureLog: 'reset notice not sent',
  });
}
