import { resultOfCode } from '../attempts/results.js';
import type { AttemptRecorder } from '../attempts/writer.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config/load.js';
import type { AuditEvent, AuditRepository } from '../store/repositories/audit.js';
import type { Token, TokensRepository } from '../store/repositories/tokens.js';
import type { User } from '../store/repositories/users.js';
import { WriteBatch } from '../store/write-batch.js';
import type { TokenTypes } from '../tokens/registry.js';
import { MfaErrors } from './errors.js';
import type { AttemptContext } from './first-factor.js';
import type { Throttle } from './throttle.js';
import { throttleKeys } from './throttle-keys.js';

/** Of a user's tokens (as listed), the active ones, optionally of some types only. */
export function activeFactors(tokens: readonly Token[], types?: readonly string[]): Token[] {
  return tokens.filter((t) => t.status === 'active' && (!types || types.includes(t.type)));
}

/** A verified second factor: which token, and the `amr` values it proves. */
export interface SecondFactorResult {
  token: Token;
  method: string;
  amr: string[];
}

/** What to check a response against. */
export interface VerifyRequest {
  user: User;
  response: string;
  context: AttemptContext;
  /** Only these token types (the methods the policy allows); all when omitted. */
  types?: readonly string[];
  /** Only this token. */
  tokenId?: string;
  /**
   * The user's tokens as the operation read them a moment ago (all of them, as listed), so that
   * they are not read again; read here when absent. A code is still spent by a conditional
   * update of the token as read, so a list read before another request spent that code cannot
   * let it through twice.
   */
  tokens?: readonly Token[];
  challengeId?: string;
  /**
   * The operation's batch of writes: a success's audit event joins it (the caller commits it
   * before it answers). The code's once-only use is stored at once, never batched.
   */
  batch?: WriteBatch;
}

/**
 * Verification of second factors, the same for every door: it finds the user's usable tokens,
 * applies the growing delays and locks (per token and per user, in the store so that they hold
 * across sessions and processes), asks the token type, and records the outcome.
 */
export class SecondFactor {
  constructor(
    private readonly tokens: TokensRepository,
    private readonly types: TokenTypes,
    private readonly throttle: Throttle,
    private readonly audit: AuditRepository,
    private readonly clock: Clock,
    private readonly settings: Config['mfa'],
    private readonly attempts?: AttemptRecorder,
  ) {}

  /** The user's active tokens, optionally of some types only. */
  async factorsOf(userId: string, types?: readonly string[]): Promise<Token[]> {
    return activeFactors(await this.tokens.listByUser(userId), types);
  }

  /** Seconds a token must still wait before its next attempt (growing delay), 0 when it may try. */
  waitSeconds(token: Token): number {
    const now = this.clock();
    if (token.lockedUntil !== null && token.lockedUntil > now)
      return Math.ceil((token.lockedUntil - now) / 1000);
    if (token.failures < this.settings.delayAfterFailures || token.lastFailureAt === null) return 0;
    const delay = Math.min(
      2 ** (token.failures - this.settings.delayAfterFailures),
      this.settings.maxDelaySeconds,
    );
    return Math.max(0, Math.ceil((token.lastFailureAt + delay * 1000 - now) / 1000));
  }

  async verify(request: VerifyRequest): Promise<SecondFactorResult> {
    const { user, context } = request;
    const response = request.response.replace(/\s+/g, '');
    const listed = request.tokens ?? (await this.tokens.listByUser(user.id));
    const candidates = activeFactors(listed, request.types).filter(
      (t) => request.tokenId === undefined || t.id === request.tokenId,
    );
    const eventOf = (
      outcome: 'success' | 'failure' | 'denied',
      reason: string | null,
      details: Record<string, unknown>,
    ): AuditEvent => ({
      type: 'login.second-factor',
      outcome,
      reason,
      username: user.username,
      userId: user.id,
      address: context.address,
      details: { door: context.door, application: context.application ?? null, ...details },
    });
    /** A refusal: an attempt of its own (a success is one once the policy records it), stored at once. */
    const refused = async (
      outcome: 'failure' | 'denied',
      reason: string,
      details: Record<string, unknown>,
    ) => {
      this.attemptFailed(user, context, reason, methodOf(candidates));
      await this.audit.record(eventOf(outcome, reason, details));
    };
    if (candidates.length === 0) {
      await refused('denied', 'MFA_NO_FACTOR', {});
      throw MfaErrors.MFA_NO_FACTOR();
    }
    const now = this.clock();
    const locked = candidates.filter((t) => t.lockedUntil !== null && t.lockedUntil > now);
    if (locked.length === candidates.length) {
      await refused('denied', 'MFA_LOCKED', { tokens: locked.map((t) => t.id) });
      throw MfaErrors.MFA_LOCKED();
    }
    const ready = candidates.filter((t) => !locked.includes(t) && this.waitSeconds(t) === 0);
    const userKey = throttleKeys.secondFactor(user.id);
    const userRule = {
      maxFailures: this.settings.userMaxFailures,
      windowSeconds: this.settings.userWindowSeconds,
    };
    const userState =
      ready.length === 0
        ? {
            allowed: false as const,
            failures: 0,
            retryAfterSeconds: Math.min(...candidates.map((t) => this.waitSeconds(t))),
          }
        : await this.throttle.check(userKey, userRule);
    if (!userState.allowed) {
      await refused('denied', 'MFA_THROTTLED', { retryAfterSeconds: userState.retryAfterSeconds });
      throw MfaErrors.MFA_THROTTLED({ detail: `retry after ${userState.retryAfterSeconds}s` });
    }

    for (const token of ready) {
      const type = this.types.get(token.type);
      if (!type) continue;
      const success = eventOf('success', null, { method: token.type, token: token.id });
      // A success's record joins the operation's batch when there is one; else it goes into the
      // transaction that accepts the code (one commit, and no accepted code without its record)
      // when the type's acceptance is one conditional write, or is stored right after.
      const whenAccepted = request.batch ? undefined : new WriteBatch();
      if (whenAccepted) this.audit.recordIn(whenAccepted, success);
      const accepted = await type.verify(token, response, {
        ...(request.challengeId ? { challengeId: request.challengeId } : {}),
        ...(whenAccepted ? { whenAccepted } : {}),
      });
      if (!accepted) continue;
      if (userState.failures > 0) await this.throttle.clear(userKey);
      // A success ends the run of consecutive failures on every token the code was tried against.
      await Promise.all(ready.filter((t) => t.failures > 0).map((t) => this.tokens.recordSuccess(t.id)));
      if (!whenAccepted?.stored) await this.audit.recordWith(request.batch, success);
      return { token, method: token.type, amr: [...type.info.amr] };
    }

    const lockedUntil = now + this.settings.lockSeconds * 1000;
    const failures = await Promise.all(
      ready.map((t) => this.tokens.recordFailure(t.id, this.settings.lockAfterFailures, lockedUntil)),
    );
    await this.throttle.fail(userKey, userRule);
    const nowLocked = ready
      .filter((_, i) => failures[i]!.failures >= this.settings.lockAfterFailures)
      .map((t) => t.id);
    await refused('failure', 'MFA_INVALID_CODE', { tokens: ready.map((t) => t.id), locked: nowLocked });
    throw MfaErrors.MFA_INVALID_CODE();
  }

  /** A refused second factor, for monitoring: with the policy's decision the step carries. */
  private attemptFailed(user: User, context: AttemptContext, code: string, method: string | undefined): void {
    this.attempts?.record({
      origin: context,
      user: { id: user.id, name: user.username },
      result: resultOfCode(code),
      reason: code,
      ...(context.decision ? { decision: context.decision } : {}),
      ...(method ? { method } : {}),
    });
  }
}

/** The method a code was tried against: the token type when every candidate has the same one. */
function methodOf(candidates: readonly Token[]): string | undefined {
  const types = new Set(candidates.map((t) => t.type));
  return types.size === 1 ? [...types][0] : undefined;
}
