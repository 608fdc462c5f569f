import { resultOfCode } from '../attempts/results.js';
import type { AttemptRecorder } from '../attempts/writer.js';
import { PassgateError } from '../errors.js';
import type { AttemptContext } from '../policy/authentication/attempt.js';
import type { AuditEvent, AuditRepository } from '../store/repositories/audit.js';

/** A first-factor audit event before its outcome is known: the same fields for a password and a vouched-for name. */
export type FirstFactorAudit = Omit<AuditEvent, 'outcome'> & { username: string };

/** How the first factor was given, as the attempt writer records it. */
export type FirstFactorMethod = 'password' | 'vouched';

/** The audit event of a first-factor check, so a password check and a vouched-for name are audited alike. */
export function firstFactorAudit(
  name: string,
  context: AttemptContext,
  directoryKind: string,
  method: FirstFactorMethod,
): FirstFactorAudit {
  return {
    type: 'login.password',
    username: name,
    address: context.address,
    details: {
      door: context.door,
      application: context.application ?? null,
      directory: directoryKind,
      ...(method === 'vouched' ? { vouchedBy: 'client' } : {}),
    },
  };
}

/** A first factor that ended the sign-in is an attempt: the user is the name given (no answer tells more). */
export function recordFirstFactorAttempt(
  attempts: AttemptRecorder | undefined,
  name: string,
  context: AttemptContext,
  code: string,
  method: FirstFactorMethod,
): void {
  attempts?.record({ origin: context, user: { name }, result: resultOfCode(code), reason: code, method });
}

/**
 * Records a refused first factor (the attempt, then the audit event) and returns its error code,
 * INTERNAL for an error that is not a PassgateError.
 */
export async function recordFirstFactorFailure(
  records: { audit: AuditRepository; attempts?: AttemptRecorder | undefined },
  audit: FirstFactorAudit,
  error: unknown,
  context: AttemptContext,
  method: FirstFactorMethod,
): Promise<string> {
  const code = error instanceof PassgateError ? error.code : 'INTERNAL';
  recordFirstFactorAttempt(records.attempts, audit.username, context, code, method);
  await records.audit.record({ ...audit, outcome: 'failure', reason: code });
  return code;
}
