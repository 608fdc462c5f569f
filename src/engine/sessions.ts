import { randomBytes } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { Config } from '../config/load.js';
import { hashSecret } from '../crypto/secret-hash.js';
import type { AuditEvent, AuditRepository } from '../store/repositories/audit.js';
import type {
  SessionApplicationInput,
  SessionApplicationRecord,
  SessionLifetimes,
  SessionRecord,
  SessionsRepository,
} from '../store/repositories/sessions.js';
import type { User } from '../store/repositories/users.js';
import { timeOrderedId } from '../store/time-ordered-id.js';
import type { WriteBatch } from '../store/write-batch.js';

/** The assurance of a session proven with the password alone. */
export const ACR_PASSWORD = 'urn:passgate:acr:password';
/** The assurance of a session in which a second factor was proven. */
export const ACR_MFA = 'urn:passgate:acr:mfa';

/** Longest cookie value taken as a session id (ours are 43 characters): longer ones are not hashed. */
const MAX_SECRET_LENGTH = 100;

/** A live single sign-on session, as every door sees it. */
export interface Session {
  /** Public handle (lists, revocation, audit); never the cookie's value. */
  id: string;
  userId: string;
  /** When the password was proven (epoch ms). */
  authTime: number;
  /** RFC 8176 methods proven in the session (pwd, otp, mfa ...). */
  amr: string[];
  /** ACR_PASSWORD or ACR_MFA. */
  acr: string;
  /** When a second factor was last proven in it; undefined for a password-only session. */
  mfaAt?: number;
  address: string;
  country: string | null;
  device: string | null;
  createdAt: number;
  lastSeenAt: number;
  /** The absolute end. */
  expiresAt: number;
}

/** A live session as lists show it: its user's name and the applications it signed in to. */
export interface ListedSession extends Session {
  username: string;
  applications: Array<{ door: string; application: string; firstAt: number; lastAt: number }>;
}

/** A site bound to a session records its use at most this often. */
const TOUCH_EVERY_MS = 60_000;

/** Most sessions a list shows at once. */
export const LIST_LIMIT = 1000;

/** How a session starts: the sign-in the hosted login just completed. */
export interface SessionStart {
  user: Pick<User, 'id' | 'username'>;
  amr: string[];
  mfa: boolean;
  address: string;
  country: string | null;
  device?: string | undefined;
}

/** Where a front-channel logout sends the browser for one application of an ended session. */
export interface FrontChannelLogout {
  /** `door:application`, as single logout lists what it reached. */
  application: string;
  /** The URL the logout page loads in a hidden frame. */
  url: string;
}

/**
 * Applications told that a session ended outside the browser's chain of redirects (OIDC
 * back-channel and front-channel logout). Protocol-free here: the composition root plugs in
 * the doors' implementation, so that every way a session ends (any door, the CLI, a sync run)
 * reaches them.
 */
export interface LogoutChannels {
  /** Delivers the back-channel logouts of sessions that just ended; resolves once delivered or given up (never rejects). */
  ended(sessionIds: readonly string[], userId: string): Promise<void>;
  /** The applications of a session told without the browser (back channel), as `door:application`. */
  backChannel(sessionId: string): Promise<string[]>;
  /** The frames a logout page loads to sign the session's applications out through the browser. */
  frontChannel(sessionId: string): Promise<FrontChannelLogout[]>;
}

/** Who or what ends a session, for the audit log. */
export interface Revocation {
  /** logout, replaced, revoked, user_disabled ... */
  reason: string;
  /** Who asked (an administrator's name, the user's own), when someone did. */
  by?: string;
  address?: string | null;
}

/**
 * The single sign-on sessions every door shares: started once per browser sign-in, found from
 * the browser's random id (only its hash is stored), stepped up when a second factor is proven,
 * used again by other applications, and ended. The store is the truth: nothing is cached per
 * process, so a revocation holds on every server at the next request. Each change is audited.
 */
export class Sessions {
  readonly lifetimes: SessionLifetimes;

  constructor(
    private readonly repository: SessionsRepository,
    private readonly audit: Pick<AuditRepository, 'record' | 'recordIn' | 'recordWith'>,
    private readonly settings: Config['sessions'],
    private readonly clock: Clock,
    private readonly channels?: LogoutChannels,
  ) {
    this.lifetimes = { idleMs: settings.idleMinutes * 60_000 };
  }

  /** Back-channel logouts still being delivered (a CLI waits for them before it exits). */
  private readonly delivering = new Set<Promise<void>>();

  /** How long a session lives at most (the cookie's lifetime). */
  get absoluteMs(): number {
    return this.settings.absoluteHours * 3_600_000;
  }

  /**
   * Starts a session; its id for the browser's cookie (`secret`) is given once, never stored.
   * With a batch, the session and its audit event join it: the session exists once the caller
   * has committed it (before it gives the browser the cookie).
   */
  async start(input: SessionStart, batch?: WriteBatch): Promise<{ session: Session; secret: string }> {
    const now = this.clock();
    const secret = randomBytes(32).toString('base64url');
    const row: SessionRecord = {
      id: timeOrderedId(now),
      secret_hash: hashSecret(secret),
      user_id: input.user.id,
      auth_time: now,
      amr: JSON.stringify(input.amr),
      acr: input.mfa ? ACR_MFA : ACR_PASSWORD,
      mfa_at: input.mfa ? now : null,
      address: input.address,
      country: input.country,
      device: input.device ?? null,
      created_at: now,
      last_seen_at: now,
      expires_at: now + this.absoluteMs,
      revoked_at: null,
      revoked_reason: null,
    };
    const event: AuditEvent = {
      type: 'session.start',
      outcome: 'success',
      userId: input.user.id,
      username: input.user.username,
      address: input.address,
      details: { session: row.id, amr: input.amr, acr: row.acr, country: input.country },
    };
    if (batch) {
      this.repository.createIn(batch, row);
      this.audit.recordIn(batch, event);
    } else {
      await this.repository.create(row);
      await this.audit.record(event);
    }
    return { session: toSession(row), secret };
  }

  /** The live session of a browser's cookie value, or undefined (unknown, over, revoked, malformed). */
  async find(secret: unknown): Promise<Session | undefined> {
    if (typeof secret !== 'string' || secret.length === 0 || secret.length > MAX_SECRET_LENGTH)
      return undefined;
    const row = await this.repository.findLive(hashSecret(secret), this.clock(), this.lifetimes);
    return row && toSession(row);
  }

  /**
   * The live session of a browser's cookie value with its user as stored now (undefined when the
   * user is gone), read together; undefined when there is no live session.
   */
  async findWithUser(secret: unknown): Promise<{ session: Session; user: User | undefined } | undefined> {
    if (typeof secret !== 'string' || secret.length === 0 || secret.length > MAX_SECRET_LENGTH)
      return undefined;
    const found = await this.repository.findLiveWithUser(hashSecret(secret), this.clock(), this.lifetimes);
    return found && { session: toSession(found.session), user: found.user };
  }

  /**
   * Records a sign-in completed in a browser that already has a session of the same user: a
   * second factor (step-up) and, when it was typed again, the password (ForceAuthn, prompt=login).
   * The session gets a new id for the browser's cookie (`secret`, given once): the old one, which
   * may have been seen before the proof, no longer finds it (session fixation).
   */
  async prove(
    session: Session,
    proof: {
      user: Pick<User, 'id' | 'username'>;
      amr: string[];
      mfa: boolean;
      password: boolean;
      address: string;
    },
  ): Promise<{ session: Session; secret: string }> {
    const now = this.clock();
    const secret = randomBytes(32).toString('base64url');
    const amr = [...new Set([...session.amr, ...proof.amr])];
    const mfaAt = proof.mfa ? now : session.mfaAt;
    const acr = mfaAt !== undefined ? ACR_MFA : ACR_PASSWORD;
    const authTime = proof.password ? now : session.authTime;
    await this.repository.prove(session.id, {
      amr: JSON.stringify(amr),
      acr,
      mfa_at: mfaAt ?? null,
      auth_time: authTime,
      last_seen_at: now,
      secret_hash: hashSecret(secret),
    });
    await this.audit.record({
      type: proof.password ? 'session.reauthenticate' : 'session.step_up',
      outcome: 'success',
      userId: proof.user.id,
      username: proof.user.username,
      address: proof.address,
      details: { session: session.id, amr, acr },
    });
    return {
      session: {
        ...session,
        amr,
        acr,
        authTime,
        lastSeenAt: now,
        ...(mfaAt !== undefined ? { mfaAt } : {}),
      },
      secret,
    };
  }

  /**
   * Gives the session a new id for the browser's cookie (`secret`, given once) without recording
   * a proof: after a change to what the user's account can prove (a second factor added), an id
   * seen before it no longer finds the session, as after {@link prove}.
   */
  async rotate(
    session: Session,
    change: { user: Pick<User, 'id' | 'username'>; address: string; reason: string },
  ): Promise<{ session: Session; secret: string }> {
    const now = this.clock();
    const secret = randomBytes(32).toString('base64url');
    await this.repository.rotate(session.id, hashSecret(secret), now);
    await this.audit.record({
      type: 'session.rotate',
      outcome: 'success',
      userId: change.user.id,
      username: change.user.username,
      address: change.address,
      details: { session: session.id, reason: change.reason },
    });
    return { session: { ...session, lastSeenAt: now }, secret };
  }

  /**
   * Records that the session answered an application without a sign-in (SSO): audited, idle time
   * restarts. With a batch, both writes join it (stored when the caller commits it).
   */
  async reused(
    session: Session,
    user: Pick<User, 'id' | 'username'>,
    use: { door: string; application: string; address: string; rule?: string },
    batch?: WriteBatch,
  ): Promise<void> {
    // The idle time is kept to the minute: a session used within the last one is not written again.
    const now = this.clock();
    if (now - session.lastSeenAt >= TOUCH_EVERY_MS) {
      if (batch) this.repository.touchIn(batch, session.id, now);
      else await this.repository.touch(session.id, now);
    }
    await this.audit.recordWith(batch, {
      type: 'session.reuse',
      outcome: 'success',
      userId: user.id,
      username: user.username,
      address: use.address,
      details: {
        session: session.id,
        door: use.door,
        application: use.application,
        ...(use.rule ? { rule: use.rule } : {}),
      },
    });
  }

  /** Records an application the session signed in to (SAML NameID and SessionIndex, OIDC sid). */
  recordApplication(application: SessionApplicationInput): Promise<void> {
    return this.repository.recordApplication(application, this.clock());
  }

  /** {@link recordApplication} as one of a sign-in's writes, stored when its batch is committed. */
  recordApplicationIn(batch: WriteBatch, application: SessionApplicationInput): void {
    this.repository.recordApplicationIn(batch, application, this.clock());
  }

  /** Ends a session; false when it was already over. Audited with the reason. */
  async revoke(session: Pick<Session, 'id' | 'userId'>, revocation: Revocation): Promise<boolean> {
    const ended = await this.repository.revoke(session.id, this.clock(), revocation.reason);
    if (ended) {
      await this.auditRevocation([session.id], session.userId, revocation);
      this.tellApplications([session.id], session.userId);
    }
    return ended;
  }

  /**
   * Ends a session from somewhere other than its browser (the user's other device, an
   * administrator): its OIDC clients are told by back channel; the applications only the browser
   * could reach (SAML service providers, front-channel clients) are recorded as skipped in the
   * logout's audit event. False when the session was already over.
   */
  async endElsewhere(
    session: Pick<Session, 'id' | 'userId'>,
    revocation: Revocation,
    initiator: string,
  ): Promise<boolean> {
    const backChannel = await this.backChannelOf(session.id);
    const names = (await this.applicationsOf(session.id)).map((app) => `${app.door}:${app.application}`);
    if (!(await this.revoke(session, revocation))) return false;
    await this.loggedOut(session, {
      initiator,
      reached: names.filter((name) => backChannel.includes(name)),
      failed: [],
      skipped: names.filter((name) => !backChannel.includes(name)),
      address: revocation.address ?? null,
    });
    return true;
  }

  /** Ends every session of a user (disabled, removed, "sign out everywhere"); the ids ended. */
  async revokeUser(userId: string, revocation: Revocation): Promise<string[]> {
    const ids = await this.repository.revokeUser(userId, this.clock(), revocation.reason);
    if (ids.length > 0) {
      await this.auditRevocation(ids, userId, revocation);
      this.tellApplications(ids, userId);
    }
    return ids;
  }

  /** Resolves once every back-channel logout started so far was delivered or given up. */
  async settled(): Promise<void> {
    while (this.delivering.size > 0) await Promise.all([...this.delivering]);
  }

  /** The applications of a session told of its end without the browser (back channel), as `door:application`. */
  backChannelOf(sessionId: string): Promise<string[]> {
    return this.channels ? this.channels.backChannel(sessionId) : Promise.resolve([]);
  }

  /** The hidden frames a logout page loads for the applications of an ended session (front channel). */
  frontChannelOf(sessionId: string): Promise<FrontChannelLogout[]> {
    return this.channels ? this.channels.frontChannel(sessionId) : Promise.resolve([]);
  }

  /**
   * Starts the back-channel logouts of ended sessions without waiting for them: an application
   * that is slow or away never delays or fails the logout (the channels bound and audit it).
   */
  private tellApplications(ids: string[], userId: string): void {
    if (!this.channels) return;
    const delivery: Promise<void> = this.channels
      .ended(ids, userId)
      .catch(() => undefined)
      .finally(() => this.delivering.delete(delivery));
    this.delivering.add(delivery);
  }

  /** Live sessions, newest first, with their applications: of one user, or of everyone (at most `limit`). */
  async list(filter: { userId?: string; limit?: number } = {}): Promise<ListedSession[]> {
    const rows = await this.repository.live(this.clock(), this.lifetimes, {
      ...filter,
      limit: filter.limit ?? LIST_LIMIT,
    });
    const applications = await this.repository.applicationsOf(rows.map((row) => row.id));
    return rows.map((row) => ({
      ...toSession(row),
      username: row.username,
      applications: applications
        .filter((app) => app.session_id === row.id)
        .map((app) => ({
          door: app.door,
          application: app.application,
          firstAt: app.first_at,
          lastAt: app.last_at,
        })),
    }));
  }

  /**
   * Whether the session `id` is still live, for a site bound to it (the self-service site): read
   * from the store on every request, so a revocation on any server holds at once. A use counts
   * for its idle time (written at most once a minute).
   */
  async stillLive(id: string): Promise<boolean> {
    const now = this.clock();
    const row = await this.repository.findLiveById(id, now, this.lifetimes);
    if (!row) return false;
    if (now - row.last_seen_at >= TOUCH_EVERY_MS) await this.repository.touch(id, now);
    return true;
  }

  /** A session by its public id whatever its state (to revoke it), or undefined. */
  async byId(id: string): Promise<(Pick<Session, 'id' | 'userId'> & { revoked: boolean }) | undefined> {
    const row = await this.repository.findById(id);
    return row && { id: row.id, userId: row.user_id, revoked: row.revoked_at !== null };
  }

  /**
   * Ends the sessions of users that are disabled or marked removed (by an administrator, by a
   * directory sync): reasons `user_disabled` and `user_removed`. The number of sessions ended.
   */
  async endOfInactiveUsers(by: string): Promise<number> {
    let ended = 0;
    for (const user of await this.repository.usersToEnd()) {
      const reason = user.removed ? 'user_removed' : 'user_disabled';
      ended += (await this.revokeUser(user.userId, { reason, by })).length;
    }
    return ended;
  }

  /** Deletes sessions over before `olderThan`, and their applications (the clean-up job). */
  prune(olderThan: number): Promise<number> {
    return this.repository.prune(olderThan, this.lifetimes);
  }

  /** The live session that told a SAML SP one of these SessionIndexes (single logout), or undefined. */
  async findByApplication(door: string, application: string, sessionIndexes: string[]) {
    const row = await this.repository.findLiveByApplication(
      door,
      application,
      sessionIndexes,
      this.clock(),
      this.lifetimes,
    );
    return row && toSession(row);
  }

  /** The applications a session signed in to (single logout reaches each of them). */
  applicationsOf(sessionId: string): Promise<SessionApplicationRecord[]> {
    return this.repository.applications(sessionId);
  }

  /** Records that a single logout ended the session and which applications it reached. */
  async loggedOut(
    session: Pick<Session, 'id' | 'userId'>,
    outcome: {
      initiator: string;
      reached: string[];
      failed: string[];
      skipped: string[];
      address: string | null;
    },
  ): Promise<void> {
    await this.audit.record({
      type: 'session.logout',
      outcome: outcome.failed.length + outcome.skipped.length > 0 ? 'info' : 'success',
      userId: session.userId,
      address: outcome.address,
      details: {
        session: session.id,
        initiator: outcome.initiator,
        reached: outcome.reached,
        failed: outcome.failed,
        skipped: outcome.skipped,
      },
    });
  }

  private async auditRevocation(ids: string[], userId: string, revocation: Revocation): Promise<void> {
    await this.audit.record({
      type: 'session.revoke',
      outcome: 'info',
      reason: revocation.reason,
      userId,
      address: revocation.address ?? null,
      details: { sessions: ids, ...(revocation.by ? { by: revocation.by } : {}) },
    });
  }
}

function toSession(row: SessionRecord): Session {
  return {
    id: row.id,
    userId: row.user_id,
    authTime: row.auth_time,
    amr: JSON.parse(row.amr) as string[],
    acr: row.acr,
    ...(row.mfa_at !== null ? { mfaAt: row.mfa_at } : {}),
    address: row.address,
    country: row.country,
    device: row.device,
    createdAt: row.created_at,
    lastSeenAt: row.last_seen_at,
    expiresAt: row.expires_at,
  };
}
