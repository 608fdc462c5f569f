import type { AttemptRecorder } from '../attempts/writer.js';
import type { Directory, DirectoryAttemptRule } from '../directory/directory.js';
import { DirectoryErrors } from '../directory/errors.js';
import type { Logger } from '../observability/logger.js';
import type { AttemptContext } from '../policy/authentication/attempt.js';
import { StoreErrors } from '../store/errors.js';
import type { AuditRepository } from '../store/repositories/audit.js';
import { normalizeUsername, type User } from '../store/repositories/users.js';
import type { WriteBatch } from '../store/write-batch.js';
import { EngineErrors } from './errors.js';
import {
  type FirstFactorAudit,
  firstFactorAudit,
  recordFirstFactorAttempt,
  recordFirstFactorFailure,
} from './first-factor-record.js';
import type { Throttle, ThrottleCharge, ThrottleRule } from './throttle.js';
import { throttleKeys } from './throttle-keys.js';

/** Re-exported for the doors: the context is defined beside the Authentication Policy that reads it. */
export type { AttemptContext };

/** Limits applied to password attempts. */
export interface FirstFactorLimits {
  perUser: ThrottleRule;
  perAddress: ThrottleRule;
}

/** Observer of first-factor outcomes (metrics). */
export type OutcomeListener = (outcome: string) => void;

/**
 * The first factor: throttling, the directory check and the audit record, in one place that
 * every door calls. Failures raise PassgateErrors whose public message never tells whether the
 * user exists; each is also a sign-in attempt (a success is one once the policy has decided).
 */
export class FirstFactor {
  constructor(
    private readonly directory: Directory,
    private readonly throttle: Throttle,
    private readonly audit: AuditRepository,
    private readonly limits: FirstFactorLimits,
    private readonly onOutcome: OutcomeListener = () => {},
    private readonly logger?: Pick<Logger, 'warn'>,
    private readonly attempts?: AttemptRecorder,
  ) {}

  /**
   * Checks a password against the directory behind the lockout shield. `charged` is told the
   * user's counter the attempt was charged to (under the name, or the AD account whatever its
   * name, with the rule that applied): what a remembered password is later checked against.
   * With a batch, the success's counter settlement and audit event join it (the caller commits
   * it before it answers, whatever follows); refusals are recorded at once.
   */
  async authenticate(
    username: string,
    password: string,
    context: AttemptContext,
    charged?: (userCounter: ThrottleCharge) => void,
    batch?: WriteBatch,
  ): Promise<User> {
    const name = normalizeUsername(username);
    if (!name || !password) throw EngineErrors.MISSING_CREDENTIALS();
    const addressKey = throttleKeys.address(context.address);
    const auditBase = firstFactorAudit(name, context, this.directory.kind, 'password');
    // A directory that locks accounts (AD) gets a stricter per-user limit, counted on the account
    // whatever name it is typed as: Passgate stops first. Without that limit no attempt is made.
    let directoryRule: DirectoryAttemptRule | undefined;
    try {
      directoryRule = await this.directory.attemptRule?.(name);
    } catch (error) {
      await this.failed(auditBase, error, context);
      throw error;
    }
    const userKey = directoryRule?.subject
      ? throttleKeys.account(directoryRule.subject)
      : throttleKeys.userName(name);
    const perUser = directoryRule
      ? {
          maxFailures: Math.min(this.limits.perUser.maxFailures, directoryRule.maxFailures),
          windowSeconds: Math.max(this.limits.perUser.windowSeconds, directoryRule.windowSeconds),
          sliding: directoryRule.sliding ?? false,
        }
      : this.limits.perUser;
    const reservation = await this.throttle.reserve([
      { key: userKey, rule: perUser },
      { key: addressKey, rule: this.limits.perAddress },
    ]);
    if (!reservation.allowed) {
      if (reservation.firstRefusals) {
        // Once per counter and window: an operator must see why the right password is refused.
        this.logger?.warn(
          {
            username: name,
            address: context.address,
            counter: reservation.firstRefusals.map((key) => (key === addressKey ? 'address' : 'user')),
            retryAfterSeconds: reservation.retryAfterSeconds,
          },
          reservation.firstRefusals.includes(userKey)
            ? `password attempts for "${name}" refused after too many failures; \`passgate user unlock ${name}\` clears it`
            : `password attempts from ${context.address} refused after too many failures; \`passgate user unlock --address ${context.address}\` clears it`,
        );
      }
      await this.audit.record({ ...auditBase, outcome: 'denied', reason: 'THROTTLED' });
      recordFirstFactorAttempt(this.attempts, name, context, 'THROTTLED', 'password');
      this.onOutcome('throttled');
      throw EngineErrors.THROTTLED({ detail: `retry after ${reservation.retryAfterSeconds}s` });
    }
    try {
      const user = await this.directory.authenticate(name, password);
      // Deleted in the directory or out of the synchronised scope: kept with their tokens, no sign-in.
      if (user.removedAt !== null)
        throw DirectoryErrors.ACCOUNT_DISABLED({
          detail: `"${user.username}" is marked removed by the directory sync`,
        });
      // With a batch, the counters are settled with the sign-in's other writes, before it answers.
      const settlement = { cleared: [userKey], refunded: [addressKey] };
      const success = { ...auditBase, outcome: 'success' as const, userId: user.id };
      if (batch) {
        this.throttle.settleIn(batch, settlement);
        this.audit.recordIn(batch, success);
      } else {
        await this.throttle.settle(settlement);
        await this.audit.record(success);
      }
      this.onOutcome('success');
      charged?.({ key: userKey, rule: perUser });
      return user;
    } catch (error) {
      if (DirectoryErrors.is(error, 'DIRECTORY_UNAVAILABLE') || StoreErrors.is(error, 'DB_UNREACHABLE')) {
        // Not the user's fault: the attempt is given back (kept until the store takes it).
        await this.throttle.settle({ refunded: [userKey, addressKey] });
      }
      await this.failed(auditBase, error, context);
      throw error;
    }
  }

  /**
   * Accepts the right password of `user` (typed as `username`) without asking the directory, because a cache of good
   * passwords remembers it (RememberedPasswords): as {@link authenticate} would, audited alike
   * (marked `remembered`), when the counters show nothing to charge, refund or clear —
   * `userCounter` (as `authenticate` charged it) has no failure and the address's is under its
   * limit. False otherwise, with nothing recorded: the caller then runs `authenticate`, which
   * applies the limits and records what it refuses. With a batch, the success's audit event
   * joins it (the caller commits it before it answers, whatever follows).
   */
  async acceptRemembered(
    username: string,
    user: User,
    userCounter: ThrottleCharge,
    context: AttemptContext,
    batch?: WriteBatch,
  ): Promise<boolean> {
    const address = { key: throttleKeys.address(context.address), rule: this.limits.perAddress };
    if (!(await this.throttle.untouched(userCounter, address))) return false;
    const name = normalizeUsername(username);
    const audit = firstFactorAudit(name, context, this.directory.kind, 'password');
    const success = {
      ...audit,
      outcome: 'success' as const,
      userId: user.id,
      details: { ...audit.details, remembered: true },
    };
    await this.audit.recordWith(batch, success);
    this.onOutcome('success');
    return true;
  }

  /**
   * Forgets the password failures Passgate counted for an account of `directory` (its own lockout shield, under
   * the name and, for AD, the account whatever its name): an unlock after the user proved who they are.
   */
  async forgive(username: string, directory: Pick<Directory, 'attemptRule'> = this.directory): Promise<void> {
    const name = normalizeUsername(username);
    const subject = (await directory.attemptRule?.(name))?.subject;
    await Promise.all([
      this.throttle.clear(throttleKeys.userName(name)),
      ...(subject ? [this.throttle.clear(throttleKeys.account(subject))] : []),
    ]);
  }

  /** Audits a failed attempt (and tells the metrics and the attempt writer). */
  private async failed(auditBase: FirstFactorAudit, error: unknown, context: AttemptContext): Promise<void> {
    const records = { audit: this.audit, attempts: this.attempts };
    const code = await recordFirstFactorFailure(records, auditBase, error, context, 'password');
    this.onOutcome(code.toLowerCase());
  }
}
