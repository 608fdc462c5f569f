import type { AttemptRecorder } from '../attempts/writer.js';
import type { Directory } from '../directory/directory.js';
import { DirectoryErrors } from '../directory/errors.js';
import type { AttemptContext } from '../policy/authentication/attempt.js';
import type { AuditRepository } from '../store/repositories/audit.js';
import { normalizeUsername, type User, type UsersRepository } from '../store/repositories/users.js';
import { EngineErrors } from './errors.js';
import { firstFactorAudit, recordFirstFactorFailure } from './first-factor-record.js';

/**
 * The first factor vouched for by a client that checked the password itself (an NPS server in
 * front of RD Gateway, a RADIUS client in second-factor-only mode): no password is checked here,
 * but the user must be known to Passgate and still enabled in the directory, and the attempt is
 * audited like a password check, marked as vouched for.
 */
export class VouchedFirstFactor {
  constructor(
    private readonly users: Pick<UsersRepository, 'findByUsername'>,
    private readonly directory: Pick<Directory, 'kind' | 'current'>,
    private readonly audit: AuditRepository,
    private readonly attempts?: AttemptRecorder,
  ) {}

  /** The user a trusted client names; INVALID_CREDENTIALS when unknown, ACCOUNT_DISABLED when disabled. */
  async accept(username: string, context: AttemptContext): Promise<User> {
    const name = normalizeUsername(username);
    if (!name) throw EngineErrors.MISSING_CREDENTIALS();
    const auditBase = firstFactorAudit(name, context, this.directory.kind, 'vouched');
    try {
      const stored = await this.users.findByUsername(name);
      const user = stored && this.directory.current ? await this.directory.current(stored) : stored;
      if (!user || user.removedAt !== null)
        throw DirectoryErrors.INVALID_CREDENTIALS({ detail: `no user "${name}" known to Passgate` });
      if (user.disabled) throw DirectoryErrors.ACCOUNT_DISABLED({ detail: `"${name}" is disabled` });
      await this.audit.record({ ...auditBase, outcome: 'success', userId: user.id });
      return user;
    } catch (error) {
      // A refusal here ends the sign-in: it is an attempt (a success is one once the policy decided).
      await recordFirstFactorFailure(
        { audit: this.audit, attempts: this.attempts },
        auditBase,
        error,
        context,
        'vouched',
      );
      throw error;
    }
  }
}
