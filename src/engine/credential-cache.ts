import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { User } from '../store/repositories/users.js';

/** What a cached password is remembered with, besides its hash: who it signed in and the user's row version then. */
export interface CachedSignIn {
  userId: string;
  /** The user's `updatedAt` when the password was checked: any change of the user since drops the entry. */
  userStamp: number;
}

/**
 * The user's row, read again, when it still allows what a remembered password signed in: not
 * disabled, not removed, and unchanged since (no rename, no new password through Passgate).
 * Every door that answers from the cache asks this one rule.
 */
export function unchangedSince(user: User | undefined, signIn: CachedSignIn): User | undefined {
  return user && !user.disabled && user.removedAt === null && user.updatedAt === signIn.userStamp
    ? user
    : undefined;
}

/** One remembered good password of a user on a device (or client). */
type Entry<SignIn extends CachedSignIn> = SignIn & {
  /** The name as the device sends it (normalised), to drop every device of it when a password is refused. */
  username: string;
  salt: Buffer;
  digest: Buffer;
  expiresAt: number;
};

/** How long and how many. */
export interface CredentialCacheOptions {
  ttlMs: number;
  maxEntries: number;
  clock: Clock;
}

/**
 * Good passwords, remembered for a short time so that steady traffic (an ActiveSync device's
 * syncs, a RADIUS client's Access-Requests) is not checked against the directory at every
 * request. Only an HMAC-SHA-256 of the password is kept, under a random key of this process and a
 * random salt per entry, compared in constant time; the password itself is never stored. Keyed by
 * user name and a device (the ActiveSync DeviceId, the RADIUS client); bounded (least recently
 * used out first). Per process: each worker has its own. `SignIn` is what an entry remembers.
 */
export class CredentialCache<SignIn extends CachedSignIn = CachedSignIn> {
  /** Never leaves the process: a hash seen elsewhere (a core dump read later) cannot be tested offline without it. */
  private readonly key = randomBytes(32);
  /** In least-recently-used order (a hit moves its entry to the end). */
  private readonly entries = new Map<string, Entry<SignIn>>();

  constructor(private readonly options: CredentialCacheOptions) {}

  /** The sign-in remembered for this user, device and password, or undefined (unknown, expired, another password). */
  match(username: string, deviceId: string, password: string): SignIn | undefined {
    const id = entryKey(username, deviceId);
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.options.clock()) {
      this.entries.delete(id);
      return undefined;
    }
    if (!timingSafeEqual(entry.digest, this.digest(entry.salt, id, password))) return undefined;
    this.entries.delete(id);
    this.entries.set(id, entry);
    return signInOf(entry);
  }

  /** Remembers a password the directory has just accepted (replacing the device's earlier one). */
  remember(username: string, deviceId: string, password: string, signIn: SignIn): void {
    if (this.options.ttlMs <= 0) return;
    const id = entryKey(username, deviceId);
    const salt = randomBytes(16);
    this.entries.delete(id);
    this.entries.set(id, {
      ...signIn,
      username,
      salt,
      digest: this.digest(salt, id, password),
      expiresAt: this.options.clock() + this.options.ttlMs,
    });
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.options.maxEntries) break;
      this.entries.delete(oldest);
    }
  }

  /**
   * Forgets every device of a user: the password was refused, the user is disabled or locked,
   * or their password changed. Matches the name as sent and, when known, the user's id (other
   * names of the same account).
   */
  forget(user: { username?: string; userId?: string }): void {
    for (const [id, entry] of this.entries)
      if (entry.username === user.username || (user.userId !== undefined && entry.userId === user.userId))
        this.entries.delete(id);
  }

  /** Forgets one device's entry (its password is no longer the user's). */
  forgetDevice(username: string, deviceId: string): SignIn | undefined {
    const id = entryKey(username, deviceId);
    const entry = this.entries.get(id);
    this.entries.delete(id);
    return entry && signInOf(entry);
  }

  /** Entries held now (metrics, tests). */
  get size(): number {
    return this.entries.size;
  }

  private digest(salt: Buffer, id: string, password: string): Buffer {
    return createHmac('sha256', this.key).update(salt).update(id).update('\0').update(password).digest();
  }
}

/** What an entry remembers, without its hash and bookkeeping. */
function signInOf<SignIn extends CachedSignIn>(entry: Entry<SignIn>): SignIn {
  const { username: _username, salt: _salt, digest: _digest, expiresAt: _expiresAt, ...signIn } = entry;
  return signIn as unknown as SignIn;
}

/** The entry of a user's device: a NUL cannot be in either part (a NUL-free name; DeviceIds are printable). */
function entryKey(username: string, deviceId: string): string {
  return `${username}\0${deviceId}`;
}
