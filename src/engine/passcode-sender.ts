import { randomInt } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { Config } from '../config/load.js';
import type { CodeHasher } from '../crypto/code-hash.js';
import type { Dispatcher } from '../dispatch/dispatcher.js';
import { DispatchErrors } from '../dispatch/errors.js';
import type { Channel } from '../dispatch/gateway.js';
import { maskDestination } from '../dispatch/mask.js';
import type { PassgateError } from '../errors.js';
import {
  DEFAULT_PASSCODE_POLICY,
  PASSCODE_POLICY_KIND,
  type PasscodePolicy,
} from '../policy/passcode-policy.js';
import type { PolicyStore } from '../policy/policy-store.js';
import type { AuditRepository } from '../store/repositories/audit.js';
import type { PasscodesRepository } from '../store/repositories/passcodes.js';
import type { User } from '../store/repositories/users.js';
import { normalizePasscode } from '../tokens/passcode.js';
import { MfaErrors } from './errors.js';
import type { AttemptContext } from './first-factor.js';
import { passcodeMessage, type Translate } from './passcode-message.js';

/** A passcode on its way: where it went (masked) and until when it is valid. */
export interface SentPasscode {
  channel: Channel;
  destination: string;
  expiresAt: number;
  /** When another one may be sent (known right after sending). */
  resendAt?: number;
}

/** One passcode to send. */
export interface PasscodeRequest {
  user: User;
  channel: Channel;
  /** Phone number or e-mail address, in full. */
  to: string;
  /** The challenge (sign-in step, number change) it is sent for: the resend cool-down counts per challenge. */
  challengeId: string;
  language: string;
  context: AttemptContext;
  /** Per-login overrides of the policies (contextual rules). */
  passcodePolicy?: string;
  loadBalancingPolicy?: string;
}

/**
 * Whether an error of {@link PasscodeSender.send} is a refusal the user can act on (no gateway
 * took it, a resend too soon, the per-user limit) rather than a fault: the step goes on and says why.
 */
export function isSendRefusal(error: unknown): error is PassgateError {
  return (
    DispatchErrors.is(error) ||
    MfaErrors.is(error, 'MFA_RESEND_TOO_SOON') ||
    MfaErrors.is(error, 'MFA_PASSCODE_LIMIT')
  );
}

/**
 * Sends passcodes: draws the code from the Passcode Policy's alphabet, stores only its keyed
 * hash (replacing any earlier one), builds the message in the user's language and hands it to
 * the dispatcher. A passcode that no gateway took is revoked at once. Resends of one challenge
 * wait for the policy's cool-down; across challenges, `mfa.passcodeLimit` caps what one user is sent.
 */
export class PasscodeSender {
  constructor(
    private readonly passcodes: PasscodesRepository,
    private readonly hasher: CodeHasher,
    private readonly dispatcher: Dispatcher,
    private readonly policies: PolicyStore,
    private readonly translate: Translate,
    private readonly audit: AuditRepository,
    private readonly limit: Config['mfa']['passcodeLimit'],
    private readonly clock: Clock,
  ) {}

  /** The Passcode Policy of that name, else the one named `default`, else the built-in default. */
  async policy(name?: string): Promise<PasscodePolicy> {
    for (const candidate of [name, 'default']) {
      if (!candidate) continue;
      const stored = (await this.policies.list(PASSCODE_POLICY_KIND)).find((p) => p.name === candidate);
      if (stored) return stored.document as PasscodePolicy;
    }
    return DEFAULT_PASSCODE_POLICY;
  }

  /** Whether some gateway carries the channel. */
  canSend(channel: Channel): boolean {
    return this.dispatcher.supports(channel);
  }

  /** Sends a passcode for a challenge; MFA_RESEND_TOO_SOON, MFA_PASSCODE_LIMIT or a dispatch error when it cannot. */
  async send(request: PasscodeRequest): Promise<SentPasscode> {
    const policy = await this.policy(request.passcodePolicy);
    const now = this.clock();
    const code = Array.from(
      { length: policy.length },
      () => policy.alphabet[randomInt(policy.alphabet.length)],
    ).join('');
    const destination = maskDestination(request.to);
    const expiresAt = now + policy.validitySeconds * 1000;
    const reservation = await this.passcodes.replace(
      {
        userId: request.user.id,
        challengeId: request.challengeId,
        channel: request.channel,
        codeHash: this.hasher.hash(normalizePasscode(code)),
        destination,
        expiresAt,
      },
      {
        resendAfterMs: policy.resendAfterSeconds * 1000,
        windowMs: this.limit.windowSeconds * 1000,
        maxPerUser: this.limit.maxPerUser,
      },
    );
    if (!reservation.stored) {
      if (reservation.refusal === 'resend') {
        throw MfaErrors.MFA_RESEND_TOO_SOON({
          detail: `resend possible in ${Math.ceil((reservation.retryAt - now) / 1000)}s`,
        });
      }
      return this.refuseOverLimit(request, now, reservation);
    }
    const { id } = reservation;
    const message = passcodeMessage(
      {
        id,
        channel: request.channel,
        to: request.to,
        code,
        language: request.language,
        name: request.user.displayName ?? request.user.username,
        policy,
      },
      this.translate,
    );
    const event = {
      type: 'passcode.send',
      username: request.user.username,
      userId: request.user.id,
      address: request.context.address,
    };
    try {
      const result = await this.dispatcher.send(
        message,
        request.loadBalancingPolicy ? { policy: request.loadBalancingPolicy } : {},
      );
      await this.audit.record({
        ...event,
        outcome: 'success',
        details: {
          channel: request.channel,
          destination,
          gateway: result.gateway,
          attempts: result.attempts,
          message: id,
        },
      });
    } catch (error) {
      await this.passcodes.revoke(id);
      await this.audit.record({
        ...event,
        outcome: 'failure',
        reason: (error as { code?: string }).code ?? 'DISPATCH_FAILED',
        details: { channel: request.channel, destination, message: id },
      });
      throw error;
    }
    return {
      channel: request.channel,
      destination,
      expiresAt,
      resendAt: now + policy.resendAfterSeconds * 1000,
    };
  }

  /** Refuses (and audits) a passcode beyond `mfa.passcodeLimit` for the user. */
  private async refuseOverLimit(
    request: PasscodeRequest,
    now: number,
    { sent, retryAt }: { sent: number; retryAt: number },
  ): Promise<never> {
    await this.audit.record({
      type: 'passcode.send',
      outcome: 'denied',
      reason: 'MFA_PASSCODE_LIMIT',
      username: request.user.username,
      userId: request.user.id,
      address: request.context.address,
      details: {
        channel: request.channel,
        destination: maskDestination(request.to),
        sent,
        maxPerUser: this.limit.maxPerUser,
        windowSeconds: this.limit.windowSeconds,
        retryAt,
      },
    });
    throw MfaErrors.MFA_PASSCODE_LIMIT({
      detail: `${sent} passcodes sent to ${request.user.username} in ${this.limit.windowSeconds}s; next possible in ${Math.ceil((retryAt - now) / 1000)}s`,
    });
  }
}
