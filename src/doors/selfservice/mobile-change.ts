import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../clock.js';
import type { CodeHasher } from '../../crypto/code-hash.js';
import type { AttemptContext } from '../../engine/first-factor.js';
import { isSendRefusal, type PasscodeSender, type SentPasscode } from '../../engine/passcode-sender.js';
import type { ChallengesRepository, StoredChallenge } from '../../store/repositories/challenges.js';
import type { PasscodesRepository } from '../../store/repositories/passcodes.js';
import type { User } from '../../store/repositories/users.js';
import { normalizePasscode } from '../../tokens/passcode.js';
import { SelfServiceErrors } from './errors.js';

/** Wrong codes accepted for one change before it is dropped (a new one can be started). */
export const MOBILE_MAX_ATTEMPTS = 5;

/** A change of mobile number waiting for its passcode. */
export interface PendingMobileChange {
  id: string;
  /** The new number, in E.164. */
  mobile: string;
  expiresAt: number;
  /** The passcode last sent (destination masked), while it is valid. */
  sent?: Pick<SentPasscode, 'destination' | 'expiresAt'>;
  /** Why the last passcode could not go out (MFA_RESEND_TOO_SOON, MFA_PASSCODE_LIMIT, a dispatch error). */
  sendError?: string;
}

/** What a change is run with. */
export interface MobileChangeDeps {
  challenges: ChallengesRepository;
  passcodes: PasscodesRepository;
  hasher: CodeHasher;
  sender: PasscodeSender;
  clock: Clock;
  /** `mfa.challengeTtlSeconds`. */
  ttlSeconds: number;
  /** Wrong codes typed for a change so far (from the audit log). */
  failures: (userId: string, changeId: string) => Promise<number>;
}

/** What the challenge row of a change remembers beyond an ordinary sign-in's context. */
interface ChangeContext extends AttemptContext {
  purpose: typeof PURPOSE;
  /** The self-service session that started it: no other session, even of the same user, finishes it. */
  sid: string;
  mobile: string;
}

const PURPOSE = 'selfservice.mobile';

/**
 * A new mobile number proven by an SMS passcode sent to it: a challenge of its own purpose in
 * the engine's store (so any server process can continue it), the passcode drawn, sent and
 * throttled by the engine's PasscodeSender (resend interval of the Passcode Policy), and at most
 * {@link MOBILE_MAX_ATTEMPTS} wrong codes.
 */
export class MobileChange {
  constructor(private readonly deps: MobileChangeDeps) {}

  /** Starts a change and sends the passcode to the new number (a failed send is kept, not raised). */
  async start(user: User, sid: string, mobile: string, language: string, address: string) {
    const now = this.deps.clock();
    const context: ChangeContext = { purpose: PURPOSE, door: 'selfservice', address, sid, mobile };
    const row = {
      id: randomBytes(18).toString('base64url'),
      user_id: user.id,
      methods: '[]',
      context: JSON.stringify(context),
      overrides: '{}',
      language,
      send_error: null,
      created_at: now,
      expires_at: now + this.deps.ttlSeconds * 1000,
      completed_at: null,
    };
    await this.deps.challenges.create(row);
    await this.send(user, row, context);
    return row.id;
  }

  /** The change `id` of this user and session, or MOBILE_CHANGE_EXPIRED. */
  async pending(user: User, sid: string, id: string): Promise<PendingMobileChange> {
    const { row, context } = await this.open(user, sid, id);
    const passcode = await this.deps.passcodes.latestFor(row.id);
    return {
      id: row.id,
      mobile: context.mobile,
      expiresAt: row.expires_at,
      ...(passcode ? { sent: { destination: passcode.destination, expiresAt: passcode.expires_at } } : {}),
      ...(row.send_error ? { sendError: row.send_error } : {}),
    };
  }

  /** Sends another passcode (the Passcode Policy's resend interval applies). */
  async resend(user: User, sid: string, id: string): Promise<void> {
    const { row, context } = await this.open(user, sid, id);
    await this.send(user, row, context);
  }

  /**
   * Checks the code; returns the new number and closes the change. A wrong code raises
   * MOBILE_INVALID_CODE; once too many were typed, the change is dropped (MOBILE_TOO_MANY_ATTEMPTS).
   */
  async confirm(user: User, sid: string, id: string, code: string): Promise<string> {
    const { row, context } = await this.open(user, sid, id);
    if ((await this.deps.failures(user.id, row.id)) >= MOBILE_MAX_ATTEMPTS) {
      await this.deps.challenges.complete(row.id);
      throw SelfServiceErrors.MOBILE_TOO_MANY_ATTEMPTS({ detail: `change ${row.id}` });
    }
    if (!(await this.accepts(user, row.id, code))) throw SelfServiceErrors.MOBILE_INVALID_CODE();
    if (!(await this.deps.challenges.complete(row.id))) throw SelfServiceErrors.MOBILE_CHANGE_EXPIRED();
    return context.mobile;
  }

  private async open(user: User, sid: string, id: string) {
    const row = await this.deps.challenges.findOpen(id);
    const context = row && (JSON.parse(row.context) as Partial<ChangeContext>);
    if (!row || !context || row.user_id !== user.id || context.purpose !== PURPOSE || context.sid !== sid) {
      throw SelfServiceErrors.MOBILE_CHANGE_EXPIRED({ detail: `no open change ${id} of this session` });
    }
    return { row, context: context as ChangeContext };
  }

  private async send(user: User, row: StoredChallenge, context: ChangeContext): Promise<void> {
    try {
      await this.deps.sender.send({
        user,
        channel: 'sms',
        to: context.mobile,
        challengeId: row.id,
        language: row.language ?? 'en',
        context: { address: context.address, door: 'selfservice', application: 'selfservice' },
      });
      await this.deps.challenges.setSendError(row.id, null);
    } catch (error) {
      if (!isSendRefusal(error)) throw error;
      await this.deps.challenges.setSendError(row.id, error.code);
    }
  }

  /** The engine's passcode check (keyed hash, constant time, consumed once), bound to this change. */
  private async accepts(user: User, changeId: string, code: string): Promise<boolean> {
    const candidates = this.deps.hasher.candidates(normalizePasscode(code)).map((h) => Buffer.from(h));
    for (const passcode of await this.deps.passcodes.usable(user.id, 'sms', changeId)) {
      const stored = Buffer.from(passcode.code_hash);
      if (candidates.some((c) => c.length === stored.length && timingSafeEqual(c, stored))) {
        return this.deps.passcodes.consume(passcode.id);
      }
    }
    return false;
  }
}
