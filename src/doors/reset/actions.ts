import { resultOfCode } from '../../attempts/results.js';
import type { AttemptRecorder } from '../../attempts/writer.js';
import type { ResetSite } from '../../config/reset-schema.js';
import type { Directory } from '../../directory/directory.js';
import { DirectoryErrors, passwordRefusal } from '../../directory/errors.js';
import type { FirstFactor } from '../../engine/first-factor.js';
import type { Sessions } from '../../engine/sessions.js';
import { PassgateError } from '../../errors.js';
import type { AuditRepository } from '../../store/repositories/audit.js';
import type { UsersRepository } from '../../store/repositories/users.js';
import { RESET_DOOR, type VerifiedJourney } from './journey.js';
import { type ResetNoticeDeps, sendResetNotice } from './notice.js';
import type { ResetAction } from './site.js';

/** What the last step of a journey acts with. */
export interface ActionDeps {
  directory: Pick<Directory, 'resetPassword' | 'unlock' | 'attemptRule'>;
  firstFactor: Pick<FirstFactor, 'forgive'>;
  sessions: Pick<Sessions, 'revokeUser'>;
  users: Pick<UsersRepository, 'findById' | 'markPasswordChanged'>;
  audit: AuditRepository;
  /** The one writer of sign-in attempts: the journey's end is one (door `reset`). */
  attempts: AttemptRecorder;
  notice: ResetNoticeDeps;
}

/** The request a journey's action comes from. */
export interface ActionContext {
  address: string;
  language: string;
}

/**
 * Acts for a verified journey: sets the new password (and ends every session of the user, who
 * may have lost the old one to someone else) or unlocks the account (AD's lockout and Passgate's
 * own counters; the password stays). Audited either way, then the user is told. A refusal of the
 * directory (PASSWORD_REJECTED, with the rule broken) is raised for the page to explain.
 */
export async function act(
  deps: ActionDeps,
  site: ResetSite,
  journey: VerifiedJourney,
  action: ResetAction,
  request: ActionContext & { password?: string },
): Promise<void> {
  const event = {
    type: `reset.${action === 'reset' ? 'password' : 'unlock'}`,
    userId: journey.userId,
    username: journey.username,
    address: request.address,
  };
  const details: Record<string, unknown> = { door: RESET_DOOR, site: site.name, directory: site.directory };
  const user = await deps.users.findById(journey.userId);
  const attempt = {
    origin: { address: request.address, door: RESET_DOOR, application: site.name },
    user: { id: journey.userId, name: user?.username ?? journey.username },
    ...(journey.method ? { method: journey.method } : {}),
  };
  try {
    if (action === 'reset') {
      await deps.directory.resetPassword(journey.username, request.password ?? '');
      await deps.users.markPasswordChanged(journey.userId);
      const ended = await deps.sessions.revokeUser(journey.userId, {
        reason: 'password_reset',
        by: journey.username,
        address: request.address,
      });
      details.sessionsEnded = ended.length;
    } else {
      await deps.directory.unlock(journey.username);
      await deps.firstFactor.forgive(journey.username, deps.directory);
    }
  } catch (error) {
    const refused = DirectoryErrors.is(error, 'PASSWORD_REJECTED');
    const code = error instanceof PassgateError ? error.code : 'INTERNAL';
    deps.attempts.record({ ...attempt, result: resultOfCode(code), reason: code });
    await deps.audit.record({
      ...event,
      outcome: 'failure',
      reason: code,
      details: { ...details, ...(refused ? { rule: passwordRefusal(error) } : {}) },
    });
    throw error;
  }
  deps.attempts.record({ ...attempt, result: 'success' });
  await deps.audit.record({ ...event, outcome: 'success', details });
  if (user) await sendResetNotice(deps.notice, user, action, { ...request, site: site.name });
}
